// @epara/core: the control loops of the live apps and the simulator, free of I/O behind small ports.
export * from './ports';
export * from './execution';
export * from './scheduler';
export * from './gateway';
export * from './worker';
