import { JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { Kvm, KvStatus, RoKV } from '@nats-io/kv';
import { ObjectStore, Objm } from '@nats-io/obj';
import { connect, NatsConnection } from '@nats-io/transport-node';
import { classifyNatsError, describeNatsRefusal, NatsFailure, tlsFailureHint } from '@epara/nats/nats-errors';
import { NATS_SECURITY_ENV, NatsSecurity, natsConnectionSecurity, natsSecurityFromEnv } from '@epara/nats/security';
import { ParsedArgs } from './args';
import { CliError, ExitCode } from './cli-io';

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

/** The CLI flag of each NATS security setting, as the nats CLI names them. */
const SECURITY_FLAGS: Record<keyof NatsSecurity, string> = {
  credsFile: 'creds',
  nkeySeed: 'nkey',
  user: 'user',
  password: 'password',
  token: 'token',
  tlsCa: 'tlsca',
  tlsCert: 'tlscert',
  tlsKey: 'tlskey',
  inboxPrefix: 'inbox-prefix',
};

const AUTH_SETTINGS = ['credsFile', 'nkeySeed', 'user', 'token'] as const;

export interface CliNatsSecurity {
  security: NatsSecurity;
  /** Where each setting came from (`--nkey` or `NATS_NKEY_SEED`), for error messages. */
  names: Record<keyof NatsSecurity, string>;
}

/** NATS credentials and TLS from the flags, else from the environment (NATS_CREDS, NATS_NKEY_SEED, …). */
export function cliNatsSecurity(opts: ParsedArgs, env: Record<string, string | undefined>): CliNatsSecurity {
  const security = natsSecurityFromEnv(env);
  const flags = Object.entries(SECURITY_FLAGS) as [keyof NatsSecurity, string][];
  // Messages name what the user set, or the flag for what is missing.
  const names = Object.fromEntries(flags.map(([k, flag]) => [k, security[k] !== undefined ? NATS_SECURITY_ENV[k] : `--${flag}`])) as Record<
    keyof NatsSecurity,
    string
  >;
  // A credential on the command line replaces the environment's, as with the nats CLI.
  if (AUTH_SETTINGS.some((k) => opts.has(SECURITY_FLAGS[k]))) for (const k of [...AUTH_SETTINGS, 'password'] as const) delete security[k];
  for (const [key, flag] of flags) {
    const v = opts.string(flag)?.trim();
    if (v === undefined) continue;
    security[key] = v;
    names[key] = `--${flag}`;
  }
  return { security, names };
}

/** Who connects without a credential (natsConnectionSecurity's word for it). */
const ANONYMOUS = 'anonymous';

/** The likeliest case of an anonymous refusal: npm start's NATS, which has a user per role. */
const NPM_START_USERS_HINT =
  ". With npm start's NATS, connect as one of its users: --nkey .epara/credentials/operator.nk --inbox-prefix _INBOX_operator to inspect" +
  ' (micro, kv, events, sub), --nkey .epara/credentials/producer.nk --inbox-prefix _INBOX_producer to invoke (invoke --over nats, req)';

/** How long connecting may take before the CLI gives up, ms. */
const CONNECT_TIMEOUT_MS = 3000;

/**
 * One NATS connection for one CLI run, opened on first use and closed by `close()`. Buckets are opened
 * read-only and never created: a typo in a bucket name says so instead of creating an empty bucket.
 */
export class NatsSession {
  private jsmPromise?: Promise<JetStreamManager>;

  private constructor(
    readonly nc: NatsConnection,
    readonly url: string,
    /** Who connected (`nkey U…`, `user "x"`), for refusals. */
    readonly identity: string = 'anonymous',
  ) {}

  static async open(url: string, source: string, auth?: CliNatsSecurity): Promise<NatsSession> {
    const servers = url
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (servers.length === 0) throw new CliError(`no NATS URL given (from ${source}): expected nats://host:port`, ExitCode.Usage);
    let security;
    try {
      security = natsConnectionSecurity(auth?.security ?? {}, auth?.names);
    } catch (e) {
      throw new CliError(`epara: ${(e as Error).message}`, ExitCode.Usage, { cause: e });
    }
    try {
      const nc = await connect({ ...security.options, servers, name: 'epara-cli', timeout: CONNECT_TIMEOUT_MS, maxReconnectAttempts: 5 });
      return new NatsSession(nc, url, security.identity);
    } catch (e) {
      const refusal = describeNatsRefusal(e, security.identity);
      if (refusal) {
        const hint = security.identity === ANONYMOUS ? NPM_START_USERS_HINT : '';
        throw new CliError(`cannot use NATS at ${url}: ${refusal}${hint}`, ExitCode.Failed, { cause: e });
      }
      const tls = tlsFailureHint(e, security.tls);
      if (tls) throw new CliError(`cannot reach NATS at ${url}: ${(e as Error).message}: ${tls}`, ExitCode.Failed, { cause: e });
      const failure = classifyNatsError(e);
      const why =
        failure === NatsFailure.ConnectionRefused
          ? 'connection refused'
          : failure === NatsFailure.Timeout
            ? `no answer within ${CONNECT_TIMEOUT_MS} ms`
            : failure === NatsFailure.HostNotFound
              ? 'host not found'
              : ((e as Error)?.message ?? String(e));
      const hint = source === '--nats' ? 'check --nats' : 'set --nats or NATS_URL';
      throw new CliError(`cannot reach NATS at ${url}: ${why} — is \`npm start\` running? ${hint}`, ExitCode.Failed, { cause: e });
    }
  }

  jsm(): Promise<JetStreamManager> {
    this.jsmPromise ??= jetstreamManager(this.nc).catch((e) => {
      throw this.describe(e, 'JetStream');
    });
    return this.jsmPromise;
  }

  /** The KV buckets on the server, each with its limits and value count. */
  async kvStatuses(): Promise<KvStatus[]> {
    // Through the manager first, so a server without JetStream fails with that message.
    await this.jsm();
    const out: KvStatus[] = [];
    for await (const s of new Kvm(this.nc).list()) out.push(s);
    return out;
  }

  /** Names of the KV buckets on the server, sorted. */
  async kvBuckets(): Promise<string[]> {
    return (await this.kvStatuses()).map((s) => s.bucket).sort();
  }

  /** Opens an existing KV bucket read-only; a missing one fails with the list of buckets that exist. */
  async kv(bucket: string): Promise<RoKV> {
    const jsm = await this.jsm();
    try {
      await jsm.streams.info(`KV_${bucket}`);
    } catch (e) {
      if (classifyNatsError(e) === NatsFailure.NotFound) {
        const known = await this.kvBuckets().catch(() => [] as string[]);
        throw new CliError(`no KV bucket "${bucket}" on ${this.url}; buckets there: ${known.join(', ') || 'none'}`);
      }
      throw this.describe(e, `KV bucket ${bucket}`);
    }
    return new Kvm(this.nc).open(bucket);
  }

  /** Opens an existing object store (never creates one). */
  async objectStore(bucket: string): Promise<ObjectStore> {
    const jsm = await this.jsm();
    try {
      await jsm.streams.info(`OBJ_${bucket}`);
    } catch (e) {
      if (classifyNatsError(e) === NatsFailure.NotFound)
        throw new CliError(
          `no object store "${bucket}" on ${this.url}: nothing was deployed there yet, or it runs another JetStream domain`,
        );
      throw this.describe(e, `object store ${bucket}`);
    }
    return new Objm(this.nc).open(bucket);
  }

  /** A NATS failure in words, naming what was being done. */
  describe(e: unknown, what: string): CliError {
    if (e instanceof CliError) return e;
    const failure = classifyNatsError(e);
    if (failure === NatsFailure.JetStreamNotEnabled || (failure === NatsFailure.NoResponders && /jetstream/i.test(what))) {
      return new CliError(
        `JetStream is not enabled on the NATS server at ${this.url}: start nats-server with -js (config/nats-server.conf does)`,
        ExitCode.Failed,
        { cause: e },
      );
    }
    if (failure === NatsFailure.PermissionDenied)
      return new CliError(`${what} on ${this.url}: ${describeNatsRefusal(e, this.identity)}`, ExitCode.Failed, { cause: e });
    if (failure === NatsFailure.NoResponders)
      return new CliError(`no one is listening on ${what} at ${this.url}`, ExitCode.Failed, { cause: e });
    if (failure === NatsFailure.Timeout)
      return new CliError(`no reply for ${what} from ${this.url} in time`, ExitCode.Failed, { cause: e });
    if (failure === NatsFailure.BadSubject)
      return new CliError(`invalid subject for ${what}: subjects are dot-separated tokens without spaces`, ExitCode.Usage, { cause: e });
    // A JetStream API error's message is the server's description.
    const detail = (e as Error)?.message ?? String(e);
    return new CliError(`${what} on ${this.url}: ${detail}`, ExitCode.Failed, { cause: e });
  }

  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    await this.nc.close().catch(() => undefined);
  }
}
