/**
 * Goodput reporting for the benchmark, shared by the simulator and the live replay: the recorder
 * (outcomes → goodput, attainment, percentiles), markdown tables and the goodput-over-time SVG; and the
 * gateway dashboard's live history (rates, percentiles and placement changes from periodic readings).
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
export * from './histogram-quantile';
export * from './live-history';
