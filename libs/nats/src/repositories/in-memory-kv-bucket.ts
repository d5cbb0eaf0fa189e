import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { KvBucket, KvBucketEntry } from './kv-bucket';

/** The error a stale write gets from JetStream: "wrong last sequence" (`err_code` 10071). */
function wrongLastSequence(revision: number): Error {
  return new JetStreamApiError({
    code: 400,
    err_code: JetStreamApiCodes.StreamWrongLastSequence,
    description: `wrong last sequence: ${revision}`,
  });
}

/**
 * A KV bucket in memory with JetStream's revision rules (one revision counter per bucket; `create`
 * and `update` reject stale writes), for unit specs and the simulator. `beforeUpdate` runs just before
 * an `update` is checked, so a spec can slip in another writer's change.
 */
export class InMemoryKvBucket implements KvBucket {
  private readonly entries = new Map<string, KvBucketEntry>();
  private sequence = 0;
  beforeUpdate?: (key: string) => void;
  /** Calls of `update`, to count the attempts a compare-and-set made. */
  updates = 0;

  async get(key: string): Promise<KvBucketEntry | null> {
    const e = this.entries.get(key);
    return e ? { ...e, value: e.value.slice() } : null;
  }

  async keys(): Promise<AsyncIterable<string>> {
    const live = [...this.entries.values()].filter((e) => e.operation === 'PUT').map((e) => e.key);
    return (async function* () {
      yield* live;
    })();
  }

  async put(key: string, value: Uint8Array): Promise<number> {
    return this.write(key, value, 'PUT');
  }

  async create(key: string, value: Uint8Array): Promise<number> {
    const e = this.entries.get(key);
    if (e && e.operation === 'PUT') throw wrongLastSequence(e.revision);
    return this.write(key, value, 'PUT');
  }

  async update(key: string, value: Uint8Array, revision: number): Promise<number> {
    this.updates++;
    this.beforeUpdate?.(key);
    const current = this.entries.get(key)?.revision ?? 0;
    if (current !== revision) throw wrongLastSequence(current);
    return this.write(key, value, 'PUT');
  }

  async delete(key: string, opts?: { previousSeq?: number }): Promise<void> {
    const current = this.entries.get(key)?.revision ?? 0;
    if (opts?.previousSeq !== undefined && opts.previousSeq !== current) throw wrongLastSequence(current);
    this.write(key, new Uint8Array(), 'DEL');
  }

  /** Writes without the revision checks, as another process would (synchronous, for `beforeUpdate`). */
  write(key: string, value: Uint8Array, operation: KvBucketEntry['operation'] = 'PUT'): number {
    const revision = ++this.sequence;
    this.entries.set(key, { key, value: value.slice(), revision, operation });
    return revision;
  }
}
