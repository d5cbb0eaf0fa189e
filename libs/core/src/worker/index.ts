export * from './unit-lifecycle';
export * from './worker-timing';
export * from './tracked-exec-estimator';
export * from './serving-unit';
export * from './types';
export * from './batch-feedback';
export * from './worker-reconciler';
export * from './mesh-settling';
