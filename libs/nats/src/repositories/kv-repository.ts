import { encodeJson } from '../codec/json-codec';
import { isRevisionConflict, KvBucket } from './kv-bucket';
import { ReadonlyKvRepository } from './readonly-repository';
import { CreateOutcome, CreateStatus, UpdateOutcome, UpdateStatus } from './update-outcome';

/**
 * Attempts of one compare-and-set update before it reports a conflict. Writers of one key are few (a
 * gateway's PATCH, the scheduler's re-categorization, a worker's profile), so losing five races in a
 * row means the key is contended, and the caller is better told than left spinning.
 */
export const CAS_ATTEMPTS = 5;

/**
 * Typed reads and writes of one KV bucket of JSON values, with the one compare-and-set policy every
 * writer of a shared key uses (`update`).
 */
export class KvRepository<T> extends ReadonlyKvRepository<T> {
  constructor(
    protected override readonly kv: KvBucket,
    bucket: string,
  ) {
    super(kv, bucket);
  }

  /** Writes the value whatever the key holds (for keys one writer owns). Returns the new revision. */
  put(key: string, value: T): Promise<number> {
    return this.kv.put(key, encodeJson(value));
  }

  /** Writes the value only when the key has none; `exists` otherwise. */
  async create(key: string, value: T): Promise<CreateOutcome> {
    try {
      return { status: CreateStatus.Created, revision: await this.kv.create(key, encodeJson(value)) };
    } catch (e) {
      if (isRevisionConflict(e)) return { status: CreateStatus.Exists };
      throw e;
    }
  }

  delete(key: string): Promise<void> {
    return this.kv.delete(key);
  }

  /**
   * Compare-and-set: reads the key with its revision, applies `mutate` to the value read, and writes
   * the result against that revision. When someone else wrote the key meanwhile it reads again and
   * re-applies `mutate` to the fresh value, up to CAS_ATTEMPTS times, then reports `conflict`.
   * `mutate` gets a fresh copy each time (it may change it in place) and returns the value to write,
   * or undefined for no change. A key with no value is `missing` (mutate is not called).
   */
  async update(key: string, mutate: (current: T) => T | undefined): Promise<UpdateOutcome<T>> {
    for (let attempt = 1; attempt <= CAS_ATTEMPTS; attempt++) {
      const current = await this.read(key);
      if (!current) return { status: UpdateStatus.Missing };
      const next = mutate(current.value);
      if (next === undefined) return { status: UpdateStatus.Unchanged, value: current.value, revision: current.revision };
      try {
        const revision = await this.kv.update(key, encodeJson(next), current.revision);
        return { status: UpdateStatus.Updated, value: next, revision };
      } catch (e) {
        if (!isRevisionConflict(e)) throw e;
      }
    }
    return { status: UpdateStatus.Conflict, attempts: CAS_ATTEMPTS };
  }
}
