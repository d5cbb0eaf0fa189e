export * from './types';
export * from './place';
export * from './simple-placement';
export * from './from-records';
