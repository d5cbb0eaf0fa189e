export * from './serving-policy';
export * from './batching-for';
