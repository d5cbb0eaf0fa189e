export * from './metrics';
export * from './health.controller';
export * from './bootstrap';
export * from './route-access';
