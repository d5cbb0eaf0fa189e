// NATS authorization (role permissions, generated credentials) and connection security, without Nest:
// the scripts, the CLI and the test support import this path.
export * from './nats-permissions';
export * from './connection-options';
export * from './credentials';
