export * from './types';
export * from './decide-batch';
export * from './choose-batch-params';
export * from './adaptive-exec-estimator';
export * from './to-queue-candidate';
export * from './pick-next-queue';
export * from './aimd-max-batch-size';
