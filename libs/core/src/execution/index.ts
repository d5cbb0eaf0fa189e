export * from './device-executor';
export * from './function-queue';
export * from './pending-request';
