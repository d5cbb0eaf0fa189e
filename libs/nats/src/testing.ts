/**
 * Test doubles for code built on @epara/nats (`import { InMemoryKvBucket } from '@epara/nats/testing'`):
 * kept out of the package index so production code cannot reach them by accident.
 */
export { InMemoryKvBucket } from './repositories/in-memory-kv-bucket';
