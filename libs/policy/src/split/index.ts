export * from './types';
export * from './plan-tiles';
export * from './merge-boxes';
