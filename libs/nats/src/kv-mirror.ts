import { Logger } from '@nestjs/common';
import { KV } from '@nats-io/kv';
import { decodeJson } from './codec/json-codec';
import { KvWatch, watchKv } from './kv-watch';

export type KvChange<T> = { key: string; value: T | undefined; revision: number };

/** How often a mirror checks that its watch still follows the bucket, ms. */
export const WATCH_CHECK_MS = 2000;
/** Checks in a row that find the bucket ahead of the mirror before the watch is taken for stalled. */
const STALLED_AFTER_CHECKS = 2;

/**
 * A local copy of a KV bucket (or of keys matching `key`) kept current by a watch, so hot paths read
 * memory instead of KV. `start()` resolves once the current values are loaded. Listeners run inline
 * with the watch and must not throw.
 *
 * A watch is an ordered consumer on one server of the cluster. When that server is cut off from the
 * rest, the watch goes quiet, and nats.js only recreates it after two missed idle heartbeats of 5 s
 * each: for ten seconds and more the mirror would serve a placement the scheduler has long replaced.
 * So every WATCH_CHECK_MS the mirror asks the bucket for its latest revision (the whole bucket's, or
 * the one key's); found ahead twice in a row, the watch is restarted from the next revision it lacks.
 */
export class KvMirror<T> {
  private readonly values = new Map<string, T>();
  private readonly listeners: ((c: KvChange<T>) => void)[] = [];
  private watch?: KvWatch;
  private checker?: ReturnType<typeof setInterval>;
  private checking = false;
  private behindChecks = 0;
  /** The highest revision the watch delivered. */
  private revision = 0;
  private readonly logger = new Logger(KvMirror.name);

  constructor(
    private readonly kv: KV,
    private readonly key = '>',
  ) {}

  async start(): Promise<this> {
    let initialized!: () => void;
    const loaded = new Promise<void>((resolve) => (initialized = resolve));
    this.follow(await watchKv(this.kv, { key: this.key }, () => initialized()));
    await loaded;
    this.checker = setInterval(() => void this.checkWatch(), WATCH_CHECK_MS);
    this.checker.unref?.();
    return this;
  }

  private follow(watch: KvWatch): void {
    this.watch = watch;
    (async () => {
      for await (const e of watch.entries) {
        if (e.revision > this.revision) this.revision = e.revision;
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
  }

  /** The bucket's latest revision among the keys this mirror follows; undefined when it cannot tell. */
  private async latestRevision(): Promise<number | undefined> {
    if (this.key === '>') return (await this.kv.status()).streamInfo.state.last_seq;
    // One key: its own revision. A wildcard other than the whole bucket has no cheap answer.
    if (/[*>]/.test(this.key)) return undefined;
    return (await this.kv.get(this.key))?.revision;
  }

  private async checkWatch(): Promise<void> {
    if (this.checking || !this.watch) return;
    this.checking = true;
    try {
      const latest = await this.latestRevision();
      if (latest === undefined || latest <= this.revision) {
        this.behindChecks = 0;
        return;
      }
      if (++this.behindChecks < STALLED_AFTER_CHECKS) return;
      this.behindChecks = 0;
      const bucket = (await this.kv.status().catch(() => undefined))?.bucket ?? 'a bucket';
      this.logger.warn(
        `KV watch on ${bucket} (${this.key}) is stuck at revision ${this.revision} while the bucket is at ${latest} (its server was cut off?): restarting it from ${this.revision + 1}`,
      );
      this.watch.stop();
      this.follow(await watchKv(this.kv, { key: this.key, resumeFromRevision: this.revision + 1 }, () => undefined));
    } catch {
      // NATS unreachable or JetStream without a leader: the connection's own handling reports it; check again later.
    } finally {
      this.checking = false;
    }
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
    if (this.checker) clearInterval(this.checker);
    this.watch?.stop();
    this.watch = undefined;
  }
}
