export * from './serving-policy';
