/**
 * Workload files for the goodput benchmark: parse and validate them, expand devices, and generate
 * seeded arrivals. Used by the simulator (apps/sim) and the live replay alike.
 */
export * from './types';
export * from './rng';
export * from './profiles';
export * from './arrivals';
export * from './schedule';
export * from './parse-workload';
export * from './scale-workload';
export * from './workload-family';
