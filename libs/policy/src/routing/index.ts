export * from './types';
export * from './choose-replica';
export * from './choose-batch-replica';
