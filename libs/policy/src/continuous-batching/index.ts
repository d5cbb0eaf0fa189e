export * from './types';
export * from './plan-step';
