import { connect, JetStreamManager, KV, NatsConnection, ObjectStore, RoKV } from 'nats';
import { CliError, ExitCode } from './cli-io';

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

/** How long connecting may take before the CLI gives up, ms. */
const CONNECT_TIMEOUT_MS = 3000;

interface NatsLikeError {
  code?: string;
  message?: string;
  api_error?: { code?: number; err_code?: number; description?: string };
}

/**
 * One NATS connection for one CLI run, opened on first use and closed by `close()`. Buckets are opened
 * read-only and never created: a typo in a bucket name says so instead of creating an empty bucket.
 */
export class NatsSession {
  private jsmPromise?: Promise<JetStreamManager>;

  private constructor(
    readonly nc: NatsConnection,
    readonly url: string,
  ) {}

  static async open(url: string, source: string): Promise<NatsSession> {
    const servers = url
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (servers.length === 0) throw new CliError(`no NATS URL given (from ${source}): expected nats://host:port`, ExitCode.Usage);
    try {
      const nc = await connect({ servers, name: 'epara-cli', timeout: CONNECT_TIMEOUT_MS, maxReconnectAttempts: 5 });
      return new NatsSession(nc, url);
    } catch (e) {
      const err = e as NatsLikeError;
      const why =
        err.code === 'CONNECTION_REFUSED'
          ? 'connection refused'
          : err.code === 'TIMEOUT' || err.code === 'CONNECTION_TIMEOUT'
            ? `no answer within ${CONNECT_TIMEOUT_MS} ms`
            : err.code === 'ENOTFOUND'
              ? 'host not found'
              : (err.message ?? String(e));
      const hint = source === '--nats' ? 'check --nats' : 'set --nats or NATS_URL';
      throw new CliError(`cannot reach NATS at ${url}: ${why} — is \`npm start\` running? ${hint}`, ExitCode.Failed, { cause: e });
    }
  }

  jsm(): Promise<JetStreamManager> {
    this.jsmPromise ??= this.nc.jetstreamManager().catch((e) => {
      throw this.describe(e, 'JetStream');
    });
    return this.jsmPromise;
  }

  /** Names of the KV buckets on the server, sorted. */
  async kvBuckets(): Promise<string[]> {
    const jsm = await this.jsm();
    const names: string[] = [];
    for await (const s of jsm.streams.listKvs()) names.push(s.bucket);
    return names.sort();
  }

  /** Opens an existing KV bucket read-only; a missing one fails with the list of buckets that exist. */
  async kv(bucket: string): Promise<RoKV> {
    const jsm = await this.jsm();
    try {
      await jsm.streams.info(`KV_${bucket}`);
    } catch (e) {
      if (isNotFound(e)) {
        const known = await this.kvBuckets().catch(() => [] as string[]);
        throw new CliError(`no KV bucket "${bucket}" on ${this.url}; buckets there: ${known.join(', ') || 'none'}`);
      }
      throw this.describe(e, `KV bucket ${bucket}`);
    }
    const kv: KV = await this.nc.jetstream().views.kv(bucket, { bindOnly: true });
    return kv;
  }

  /** Opens an existing object store (never creates one). */
  async objectStore(bucket: string): Promise<ObjectStore> {
    const jsm = await this.jsm();
    try {
      await jsm.streams.info(`OBJ_${bucket}`);
    } catch (e) {
      if (isNotFound(e))
        throw new CliError(
          `no object store "${bucket}" on ${this.url}: nothing was deployed there yet, or it runs another JetStream domain`,
        );
      throw this.describe(e, `object store ${bucket}`);
    }
    return this.nc.jetstream().views.os(bucket);
  }

  /** A NATS failure in words, naming what was being done. */
  describe(e: unknown, what: string): CliError {
    if (e instanceof CliError) return e;
    const err = e as NatsLikeError;
    if (err.code === '503' && /jetstream/i.test(what + (err.message ?? ''))) {
      return new CliError(
        `JetStream is not enabled on the NATS server at ${this.url}: start nats-server with -js (config/nats-server.conf does)`,
        ExitCode.Failed,
        { cause: e },
      );
    }
    if (err.code === '503') return new CliError(`no one is listening on ${what} at ${this.url}`, ExitCode.Failed, { cause: e });
    if (err.code === 'TIMEOUT') return new CliError(`no reply for ${what} from ${this.url} in time`, ExitCode.Failed, { cause: e });
    if (err.code === 'BAD_SUBJECT')
      return new CliError(`invalid subject for ${what}: subjects are dot-separated tokens without spaces`, ExitCode.Usage, { cause: e });
    const detail = err.api_error?.description ?? err.message ?? String(e);
    return new CliError(`${what} on ${this.url}: ${detail}`, ExitCode.Failed, { cause: e });
  }

  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    await this.nc.close().catch(() => undefined);
  }
}

function isNotFound(e: unknown): boolean {
  const err = e as NatsLikeError;
  return err?.code === '404' || err?.api_error?.code === 404;
}
