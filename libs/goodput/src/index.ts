/**
 * Goodput reporting for the benchmark, shared by the simulator and the live replay: the recorder
 * (outcomes → goodput, attainment, percentiles), markdown tables and the goodput-over-time SVG.
 */
export * from './types';
export * from './percentile';
export * from './format';
export * from './markdown-table';
export * from './goodput-recorder';
export * from './goodput-tables';
export * from './goodput-svg';
export * from './write-artifacts';
export * from './capacity-search';
