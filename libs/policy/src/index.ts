/**
 * Epara policy: pure decisions (no I/O, no clock, no randomness but what is passed in), each with
 * its reason. Shared by the live apps and the simulator.
 */
export * from './categorize';
export * from './batching';
export * from './routing';
export * from './placement';
export { fmtBytes, fmtMs, fmtNum } from './util/format';
export * from './serving-policy';
export * from './split';
export * from './continuous-batching';
