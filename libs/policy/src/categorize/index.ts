export * from './types';
export * from './categorize';
