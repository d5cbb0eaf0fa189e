/**
 * How an Epara app or the CLI authenticates to NATS and secures the connection, from the variables NATS
 * users know (`NATS_CREDS`, `NATS_NKEY_SEED`, `NATS_USER`/`NATS_PASSWORD`, `NATS_TOKEN`, `NATS_TLS_*`,
 * `NATS_INBOX_PREFIX`) or the CLI's flags, into nats.js connection options. One builder for all.
 */
import { readFileSync } from 'node:fs';
import { fromSeed } from '@nats-io/nkeys';
import { ConnectionOptions, credsAuthenticator, nkeyAuthenticator } from '@nats-io/transport-node';

export interface NatsSecurity {
  /** A `.creds` file (JWT + seed), for servers in operator (JWT) mode. */
  credsFile?: string;
  /** An nkey user seed (`SU…`), or the path of a file holding one (what `nats --nkey` reads). */
  nkeySeed?: string;
  user?: string;
  password?: string;
  token?: string;
  /** CA certificate file: TLS on, the server's certificate is checked against it. */
  tlsCa?: string;
  /** Client certificate and key files for mutual TLS. */
  tlsCert?: string;
  tlsKey?: string;
  /** Where this client's replies arrive (`_INBOX_<user>` with Epara's generated users). */
  inboxPrefix?: string;
}

/** The variable each setting is read from, for error messages. */
export const NATS_SECURITY_ENV: Record<keyof NatsSecurity, string> = {
  credsFile: 'NATS_CREDS',
  nkeySeed: 'NATS_NKEY_SEED',
  user: 'NATS_USER',
  password: 'NATS_PASSWORD',
  token: 'NATS_TOKEN',
  tlsCa: 'NATS_TLS_CA',
  tlsCert: 'NATS_TLS_CERT',
  tlsKey: 'NATS_TLS_KEY',
  inboxPrefix: 'NATS_INBOX_PREFIX',
};

/** The settings from an environment; empty values count as unset. */
export function natsSecurityFromEnv(env: object): NatsSecurity {
  const out: NatsSecurity = {};
  for (const [key, name] of Object.entries(NATS_SECURITY_ENV) as [keyof NatsSecurity, string][]) {
    const raw = (env as Record<string, unknown>)[name];
    const v = typeof raw === 'string' ? raw.trim() : undefined;
    if (v) out[key] = v;
  }
  return out;
}

export interface NatsConnectionSecurity {
  /** Merge into nats.js `connect()` options. */
  options: Partial<ConnectionOptions>;
  /** Who connects, for logs and error messages: `nkey UABC… (file)`, `user "x"`, `token`, `creds file`, `anonymous`. */
  identity: string;
  tls: boolean;
}

const SEED_PATTERN = /^SU[A-Z2-7]{56}$/;

type ReadFile = (path: string) => string;
const readText: ReadFile = (path) => readFileSync(path, 'utf8');

/**
 * The nats.js options for `s`. Throws an Error that names the variable (or flag, through `names`) on
 * anything inconsistent: two ways of authenticating, a password without a user, a client certificate
 * without its key, an unreadable file, a seed that is not one.
 */
export function natsConnectionSecurity(
  s: NatsSecurity,
  names: Record<keyof NatsSecurity, string> = NATS_SECURITY_ENV,
  read: ReadFile = readText,
): NatsConnectionSecurity {
  const methods = (['credsFile', 'nkeySeed', 'user', 'token'] as const).filter((k) => s[k] !== undefined);
  if (methods.length > 1) throw new Error(`set one way of authenticating to NATS, not ${methods.map((k) => names[k]).join(' and ')}`);
  if (s.password !== undefined && s.user === undefined) throw new Error(`${names.password} is set without ${names.user}`);
  if (s.user !== undefined && s.password === undefined) throw new Error(`${names.user} is set without ${names.password}`);
  if ((s.tlsCert === undefined) !== (s.tlsKey === undefined)) {
    throw new Error(`mutual TLS needs both ${names.tlsCert} and ${names.tlsKey} (only ${s.tlsCert ? names.tlsCert : names.tlsKey} is set)`);
  }
  const readOrFail = (key: keyof NatsSecurity, path: string) => {
    try {
      return read(path);
    } catch (e) {
      throw new Error(`${names[key]}=${path} cannot be read: ${(e as Error).message}`, { cause: e });
    }
  };
  const options: Partial<ConnectionOptions> = {};
  let identity = 'anonymous';
  if (s.credsFile !== undefined) {
    const text = readOrFail('credsFile', s.credsFile);
    if (!/BEGIN NATS USER JWT/.test(text) || !/BEGIN USER NKEY SEED/.test(text)) {
      throw new Error(`${names.credsFile}=${s.credsFile} is not a NATS creds file (a user JWT and its nkey seed)`);
    }
    options.authenticator = credsAuthenticator(new TextEncoder().encode(text));
    identity = `creds file ${s.credsFile}`;
  } else if (s.nkeySeed !== undefined) {
    const literal = SEED_PATTERN.test(s.nkeySeed);
    const seed = literal
      ? s.nkeySeed
      : readOrFail('nkeySeed', s.nkeySeed)
          .split('\n')
          .map((l) => l.trim())
          .find((l) => SEED_PATTERN.test(l));
    if (!seed) throw new Error(`${names.nkeySeed}=${s.nkeySeed} is neither an nkey user seed (SU…) nor a file holding one`);
    const bytes = new TextEncoder().encode(seed);
    const publicKey = fromSeed(bytes).getPublicKey();
    options.authenticator = nkeyAuthenticator(bytes);
    identity = `nkey ${publicKey}${literal ? '' : ` (${s.nkeySeed})`}`;
  } else if (s.user !== undefined) {
    options.user = s.user;
    options.pass = s.password;
    identity = `user "${s.user}"`;
  } else if (s.token !== undefined) {
    options.token = s.token;
    identity = 'token';
  }
  const tls = s.tlsCa !== undefined || s.tlsCert !== undefined;
  if (tls) {
    for (const key of ['tlsCa', 'tlsCert', 'tlsKey'] as const) if (s[key] !== undefined) readOrFail(key, s[key]);
    options.tls = {
      ...(s.tlsCa ? { caFile: s.tlsCa } : {}),
      ...(s.tlsCert ? { certFile: s.tlsCert, keyFile: s.tlsKey } : {}),
    };
  }
  if (s.inboxPrefix !== undefined) {
    if (!/^[^\s*>.]+(\.[^\s*>.]+)*$/.test(s.inboxPrefix))
      throw new Error(`${names.inboxPrefix}=${s.inboxPrefix} must be subject tokens without wildcards, e.g. _INBOX_producer`);
    options.inboxPrefix = s.inboxPrefix;
  }
  return { options, identity, tls };
}
