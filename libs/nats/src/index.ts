export * from './nats-client';
export * from './nats.module';
export * from './nats-transport';
export * from './replies';
export * from './kv-mirror';
export * from './cluster-state';
export * from './rpc-passthrough.filter';
export * from './app-kit';
