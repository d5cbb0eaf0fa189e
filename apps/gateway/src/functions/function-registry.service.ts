import { Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Bucket, EparaError, FunctionRecord } from '@epara/contracts';
import { CreateStatus, FunctionRepository, KvMirror, NatsClient, UpdateStatus } from '@epara/nats';

/** The local copy of `epara_functions` the registry reads (a KvMirror; specs pass a map). */
export type FunctionMirror = Pick<KvMirror<FunctionRecord>, 'get' | 'all' | 'remember' | 'stop'>;

const notDeployed = (name: string) => EparaError.notFound(`function "${name}" is not deployed`, { function: name });

/**
 * Function records in KV `epara_functions`, with a local mirror kept current by a KV watch so that the
 * request path never waits on KV. Writes go to KV; the watch brings them to every gateway.
 */
@Injectable()
export class FunctionRegistry implements OnModuleInit, OnApplicationShutdown {
  private repository!: FunctionRepository;
  private mirror?: FunctionMirror;
  private readonly removedListeners: ((name: string) => void)[] = [];

  constructor(private readonly nats: NatsClient) {}

  async onModuleInit(): Promise<void> {
    const kv = await this.nats.kv(Bucket.Functions);
    const mirror = new KvMirror<FunctionRecord>(kv);
    mirror.onChange((c) => {
      if (c.value === undefined) for (const l of this.removedListeners) l(c.key);
    });
    this.bind(new FunctionRepository(kv), await mirror.start());
  }

  /** Calls `listener` with the name of each function deleted, by any gateway (from the KV watch). */
  onRemoved(listener: (name: string) => void): void {
    this.removedListeners.push(listener);
  }

  /** Binds the store and the mirror of it (onModuleInit does; specs pass fakes). */
  bind(repository: FunctionRepository, mirror: FunctionMirror): this {
    this.repository = repository;
    this.mirror = mirror;
    return this;
  }

  onApplicationShutdown(): void {
    this.mirror?.stop();
  }

  /** Why the registry cannot answer yet (its mirror of the KV bucket is still loading); undefined once it can. */
  notLoaded(): string | undefined {
    return this.mirror ? undefined : `the gateway is starting: its function registry (KV ${Bucket.Functions}) is not loaded yet`;
  }

  /** From the local mirror: O(1), no I/O. 503 while the mirror is still loading, never "not deployed". */
  find(name: string): FunctionRecord | undefined {
    return this.loadedMirror().get(name);
  }

  get(name: string): FunctionRecord {
    const r = this.loadedMirror().get(name);
    if (!r) throw notDeployed(name);
    return r;
  }

  list(): FunctionRecord[] {
    return this.loadedMirror()
      .all()
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async create(record: FunctionRecord): Promise<void> {
    const outcome = await this.repository.create(record.name, record);
    if (outcome.status === CreateStatus.Exists) {
      throw new EparaError(409, `function "${record.name}" already exists: PATCH it, or DELETE it first`, { function: record.name });
    }
    this.loadedMirror().remember(record.name, record);
  }

  /**
   * Compare-and-set on the record in KV (not the mirror): `change` is applied to the stored record and
   * re-applied when someone else wrote it meanwhile. 404 when it is not deployed; 409 when every attempt
   * lost the race.
   */
  async update(name: string, change: (current: FunctionRecord) => FunctionRecord): Promise<FunctionRecord> {
    const outcome = await this.repository.update(name, change);
    switch (outcome.status) {
      case UpdateStatus.Missing:
        throw notDeployed(name);
      case UpdateStatus.Conflict:
        throw new EparaError(409, `function "${name}" changed while it was being updated; retry`, { function: name });
      default:
        this.loadedMirror().remember(name, outcome.value);
        return outcome.value;
    }
  }

  async delete(name: string): Promise<void> {
    this.get(name);
    await this.repository.delete(name);
    this.loadedMirror().remember(name, undefined);
  }

  private loadedMirror(): FunctionMirror {
    if (!this.mirror) throw new EparaError(503, this.notLoaded()!, { retryAfterMs: 1000 });
    return this.mirror;
  }
}
