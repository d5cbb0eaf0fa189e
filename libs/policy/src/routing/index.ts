export * from './types';
export * from './choose-replica';
export * from './choose-batch-replica';
export * from './choose-sticky-replica';
