import { classifyNatsError, NatsFailure } from '../nats-errors';

/** One value of a KV key as the bucket returns it (`KvEntry` of @nats-io/kv has these fields). */
export interface KvBucketEntry {
  key: string;
  value: Uint8Array;
  revision: number;
  operation: 'PUT' | 'DEL' | 'PURGE';
}

/** The KV calls a reader makes; `RoKV` and `KV` of @nats-io/kv have them (unit specs pass an in-memory fake). */
export interface ReadableKvBucket {
  get(key: string): Promise<KvBucketEntry | null>;
  keys(): Promise<AsyncIterable<string>>;
}

/** The KV calls a repository makes; `KV` of @nats-io/kv has them. */
export interface KvBucket extends ReadableKvBucket {
  put(key: string, value: Uint8Array): Promise<number>;
  /** Writes only when the key has no value (absent or deleted); rejects with a revision conflict otherwise. */
  create(key: string, value: Uint8Array): Promise<number>;
  /** Writes only when the key is still at `revision`; rejects with a revision conflict otherwise. */
  update(key: string, value: Uint8Array, revision: number): Promise<number>;
  delete(key: string, opts?: { previousSeq?: number }): Promise<void>;
}

/**
 * Whether a KV write failed because the key was not at the expected revision (someone else wrote it,
 * or `create` found a value), as opposed to the server or the connection failing.
 */
export function isRevisionConflict(error: unknown): boolean {
  return classifyNatsError(error) === NatsFailure.RevisionConflict;
}
