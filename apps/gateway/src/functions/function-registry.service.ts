import { Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { KV } from 'nats';
import { Bucket, EparaError, FunctionRecord } from '@epara/contracts';
import { KvMirror, NatsClient } from '@epara/nats';

const encode = (r: FunctionRecord): Uint8Array => Buffer.from(JSON.stringify(r));

/**
 * Function records in KV `epara_functions`, with a local mirror kept current by a KV watch so that the
 * request path never waits on KV. Writes go to KV; the watch brings them to every gateway.
 */
@Injectable()
export class FunctionRegistry implements OnModuleInit, OnApplicationShutdown {
  private kv!: KV;
  private mirror!: KvMirror<FunctionRecord>;

  constructor(private readonly nats: NatsClient) {}

  async onModuleInit(): Promise<void> {
    this.kv = await this.nats.kv(Bucket.Functions);
    this.mirror = await new KvMirror<FunctionRecord>(this.kv).start();
  }

  onApplicationShutdown(): void {
    this.mirror?.stop();
  }

  /** From the local mirror: O(1), no I/O. */
  find(name: string): FunctionRecord | undefined {
    return this.mirror.get(name);
  }

  get(name: string): FunctionRecord {
    const r = this.mirror.get(name);
    if (!r) throw EparaError.notFound(`function "${name}" is not deployed`, { function: name });
    return r;
  }

  list(): FunctionRecord[] {
    return this.mirror.all().sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Reads KV directly, with the revision to update against. */
  async fetch(name: string): Promise<{ record: FunctionRecord; revision: number }> {
    const e = await this.kv.get(name);
    if (!e || e.operation !== 'PUT') throw EparaError.notFound(`function "${name}" is not deployed`, { function: name });
    return { record: JSON.parse(Buffer.from(e.value).toString('utf8')), revision: e.revision };
  }

  async create(record: FunctionRecord): Promise<void> {
    try {
      await this.kv.create(record.name, encode(record));
    } catch (e) {
      if (/wrong last sequence|key exists/i.test((e as Error).message)) {
        throw new EparaError(409, `function "${record.name}" already exists: PATCH it, or DELETE it first`, { function: record.name });
      }
      throw e;
    }
    this.mirror.remember(record.name, record);
  }

  /** Compare-and-set: the change applies to the revision it was computed from, or fails with 409. */
  async update(record: FunctionRecord, revision: number): Promise<void> {
    try {
      await this.kv.update(record.name, encode(record), revision);
    } catch (e) {
      if (/wrong last sequence/i.test((e as Error).message)) {
        throw new EparaError(409, `function "${record.name}" changed while it was being updated; retry`, { function: record.name });
      }
      throw e;
    }
    this.mirror.remember(record.name, record);
  }

  async delete(name: string): Promise<void> {
    this.get(name);
    await this.kv.delete(name);
    this.mirror.remember(name, undefined);
  }
}
