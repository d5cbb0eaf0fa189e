/** One value of a KV key as the bucket returns it (nats' `KvEntry` has these fields). */
export interface KvBucketEntry {
  key: string;
  value: Uint8Array;
  revision: number;
  operation: 'PUT' | 'DEL' | 'PURGE';
}

/** The KV calls a reader makes; nats' `RoKV` and `KV` have them (unit specs pass an in-memory fake). */
export interface ReadableKvBucket {
  get(key: string): Promise<KvBucketEntry | null>;
  keys(): Promise<AsyncIterable<string>>;
}

/** The KV calls a repository makes; nats' `KV` has them. */
export interface KvBucket extends ReadableKvBucket {
  put(key: string, value: Uint8Array): Promise<number>;
  /** Writes only when the key has no value (absent or deleted); rejects with a revision conflict otherwise. */
  create(key: string, value: Uint8Array): Promise<number>;
  /** Writes only when the key is still at `revision`; rejects with a revision conflict otherwise. */
  update(key: string, value: Uint8Array, revision: number): Promise<number>;
  delete(key: string, opts?: { previousSeq?: number }): Promise<void>;
}

/** JetStream's API error code for "wrong last sequence": the key moved past the expected revision. */
const WRONG_LAST_SEQUENCE = 10071;

/**
 * Whether a KV write failed because the key was not at the expected revision (someone else wrote it,
 * or `create` found a value), as opposed to the server or the connection failing.
 */
export function isRevisionConflict(error: unknown): boolean {
  const e = error as { api_error?: { err_code?: number }; message?: unknown } | undefined;
  if (e?.api_error?.err_code === WRONG_LAST_SEQUENCE) return true;
  return typeof e?.message === 'string' && /wrong last sequence|key exists/i.test(e.message);
}
