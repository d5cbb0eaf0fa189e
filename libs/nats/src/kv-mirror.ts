import { Logger } from '@nestjs/common';
import { KV } from '@nats-io/kv';
import { decodeJson } from './codec/json-codec';
import { watchKv } from './kv-watch';

export type KvChange<T> = { key: string; value: T | undefined; revision: number };

/**
 * A local copy of a KV bucket (or of keys matching `key`) kept current by a watch, so hot paths read
 * memory instead of KV. `start()` resolves once the current values are loaded. Listeners run inline
 * with the watch and must not throw.
 */
export class KvMirror<T> {
  private readonly values = new Map<string, T>();
  private readonly listeners: ((c: KvChange<T>) => void)[] = [];
  private stopper?: () => void;
  private readonly logger = new Logger(KvMirror.name);

  constructor(
    private readonly kv: KV,
    private readonly key = '>',
  ) {}

  async start(): Promise<this> {
    let initialized!: () => void;
    const loaded = new Promise<void>((resolve) => (initialized = resolve));
    const watch = await watchKv(this.kv, { key: this.key }, () => initialized());
    this.stopper = () => watch.stop();
    (async () => {
      for await (const e of watch.entries) {
        let value: T | undefined;
        if (e.operation === 'PUT') {
          try {
            value = decodeJson<T>(e.value, `KV key ${e.key}`);
          } catch {
            this.logger.warn(`ignoring KV key ${e.key}: value is not JSON`);
            continue;
          }
          this.values.set(e.key, value);
        } else this.values.delete(e.key);
        for (const l of this.listeners) l({ key: e.key, value, revision: e.revision });
      }
    })().catch((err) => this.logger.error(`KV watch on ${this.key} ended: ${(err as Error).message}`));
    await loaded;
    return this;
  }

  onChange(listener: (c: KvChange<T>) => void): void {
    this.listeners.push(listener);
  }

  get(key: string): T | undefined {
    return this.values.get(key);
  }

  /** Sets the local copy ahead of the watch (read-your-writes after this process wrote KV). */
  remember(key: string, value: T | undefined): void {
    if (value === undefined) this.values.delete(key);
    else this.values.set(key, value);
  }

  entries(): [string, T][] {
    return [...this.values.entries()];
  }

  all(): T[] {
    return [...this.values.values()];
  }

  stop(): void {
    this.stopper?.();
  }
}
