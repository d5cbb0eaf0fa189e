export { RATE_WINDOW_MS, RateTracker } from './rate-tracker';
export { profileOf, sameAssignments, SchedulerRound } from './scheduler-round';
export type { Recategorization, RoundDevice, RoundInput, RoundPlan, RoundPolicy } from './scheduler-round';
export { initialCategory } from './initial-category';
export type { DeployedFunction } from './initial-category';
export { SchedulerLoop } from './scheduler-loop';
export type { LastDecision } from './scheduler-loop';
export type { DeviceFeed, FunctionStore, LoopLog, PlacementStore, SchedulerEvents, SchedulerLoopConfig, SchedulerPorts } from './types';
