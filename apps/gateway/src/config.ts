import { readFileSync } from 'node:fs';
import { IsOptional, IsString, IsIn } from 'class-validator';
import { POLICY_NAMES, PolicyName, servingPolicy, ServingPolicy } from '@epara/policy';
import { NatsSecurity, natsSecurityFromEnv } from '@epara/nats/security';
import { BoolEnv, CommonEnv, IntEnv, loadEnv, ParsedEnv } from '@epara/contracts';
import { CallbackAllowList, parseCallbackAllowList } from './async/callback-policy';

export class GatewayEnv extends CommonEnv {
  /** Whole-system policy: epara (default) or a baseline (naive, static-batch, adaptive-batch) for benchmarks. */
  @IsIn(POLICY_NAMES, { message: `EPARA_POLICY must be one of: ${POLICY_NAMES.join(', ')}` })
  EPARA_POLICY: PolicyName = 'epara';

  /** HTTP port. Default 8080. */
  @IntEnv(0, 65535)
  EPARA_GATEWAY_PORT: number = 8080;

  /** HTTP bind address. Default 0.0.0.0. */
  @IsString()
  EPARA_GATEWAY_HOST: string = '0.0.0.0';

  /** Largest model upload, MiB. Default 512. */
  @IntEnv(1, 16384)
  EPARA_MAX_MODEL_MB: number = 512;

  /**
   * Largest invocation body over HTTP, MiB. Default 64. Bodies over the NATS max payload reach the
   * worker through the object store (`Epara-Payload-Ref`); larger ones are answered 413.
   */
  @IntEnv(1, 4096)
  EPARA_MAX_BODY_MB: number = 64;

  /**
   * Forward NATS invocations with the producer's reply inbox so the worker answers the producer directly
   * (1.5 hops). `false` makes the gateway wait for the reply itself (2 round trips, retries possible). Default true.
   */
  @BoolEnv()
  EPARA_DIRECT_REPLY: boolean = true;

  /** Extra time past the deadline the gateway waits for a reply before answering 504, ms. Default 250. */
  @IntEnv(0, 60000)
  EPARA_REPLY_GRACE_MS: number = 250;

  @IsOptional()
  @IsString()
  EPARA_GATEWAY_NAME?: string;

  /**
   * Overload control: forward at most this percentage of what the workers accepted lately and answer
   * the rest 429 here (adaptive throttling from the shed counts in heartbeats). `0` turns the gateway's
   * throttle off (the workers still refuse what they cannot serve). Default 110.
   */
  @IntEnv(0, 1000)
  EPARA_ADMISSION_PERCENT: number = 110;

  /**
   * Hosts async requests may name in `X-Callback-Url`: comma-separated `host`, `host:port`, `*.domain`
   * or `*.domain:port`. Empty (default): callbacks are refused. A loopback, private or link-local
   * address is reached only when that host or address is listed exactly (never through a wildcard).
   */
  @ParsedEnv(parseCallbackAllowList)
  EPARA_CALLBACK_ALLOW_HOSTS: CallbackAllowList = [];

  /**
   * `on` (default): every route but health and the dashboard page needs an API key with the right scope.
   * `off`: no key checks at all — anyone who reaches the port can deploy, delete and invoke.
   */
  @IsIn(['on', 'off'], { message: 'EPARA_AUTH must be on or off' })
  EPARA_AUTH: 'on' | 'off' = 'on';

  /** An admin key accepted without being in KV `epara_api_keys`, so that the first keys can be created. */
  @IsOptional()
  @IsString()
  EPARA_ADMIN_KEY?: string;

  /**
   * The admin key read from a file instead (a container secret, `/run/secrets/…`), so that the key is not
   * in the environment that `docker inspect` and child processes see. Not together with EPARA_ADMIN_KEY.
   */
  @IsOptional()
  @IsString()
  EPARA_ADMIN_KEY_FILE?: string;

  /** HTTPS: the certificate (PEM, the chain after it) and its private key; both or neither. Default: plain HTTP. */
  @IsOptional()
  @IsString()
  EPARA_HTTPS_CERT?: string;

  @IsOptional()
  @IsString()
  EPARA_HTTPS_KEY?: string;
}

/** Shortest EPARA_ADMIN_KEY accepted: a guessable bootstrap key would open every route. */
export const MIN_ADMIN_KEY_LENGTH = 24;

export interface GatewayConfig {
  policy: ServingPolicy;
  natsUrl: string;
  /** Credentials, TLS and inbox prefix for NATS (NATS_CREDS, NATS_NKEY_SEED, NATS_TLS_CA, …). */
  natsSecurity: NatsSecurity;
  /** Replicas of the buckets this app creates (EPARA_JETSTREAM_REPLICAS). */
  jetStreamReplicas: number;
  port: number;
  host: string;
  maxModelBytes: number;
  /** Largest HTTP invocation body, bytes. */
  maxBodyBytes: number;
  directReply: boolean;
  replyGraceMs: number;
  /** The gateway throttles under overload (EPARA_ADMISSION_PERCENT > 0). */
  admissionThrottle: boolean;
  /** Multiple of the workers' accepted requests it forwards (EPARA_ADMISSION_PERCENT / 100). */
  admissionMultiplier: number;
  /** Where `X-Callback-Url` may point (EPARA_CALLBACK_ALLOW_HOSTS); empty: no callbacks. */
  callbackAllowList: CallbackAllowList;
  /** API keys are checked (EPARA_AUTH=on). */
  authEnabled: boolean;
  /** EPARA_ADMIN_KEY: an admin key that needs no KV record. */
  adminKey?: string;
  cacheDir?: string;
  json: boolean;
  name: string;
  /** PEM files of the HTTPS certificate and key; undefined: plain HTTP. */
  https?: { certFile: string; keyFile: string };
}

/** The admin key from EPARA_ADMIN_KEY or the file EPARA_ADMIN_KEY_FILE names (one of them), or undefined. */
function readAdminKey(e: GatewayEnv): string | undefined {
  const file = e.EPARA_ADMIN_KEY_FILE?.trim() || undefined;
  const inline = e.EPARA_ADMIN_KEY?.trim() || undefined;
  if (file !== undefined && inline !== undefined)
    throw new Error('set EPARA_ADMIN_KEY or EPARA_ADMIN_KEY_FILE, not both: they would name two admin keys');
  let key = inline;
  let source = 'EPARA_ADMIN_KEY';
  if (file !== undefined) {
    source = `EPARA_ADMIN_KEY_FILE=${file}`;
    try {
      key = readFileSync(file, 'utf8').trim() || undefined;
    } catch (err) {
      throw new Error(`${source} cannot be read: ${(err as Error).message}`, { cause: err });
    }
    if (key === undefined)
      throw new Error(`${source} is empty: write the admin key into it (at least ${MIN_ADMIN_KEY_LENGTH} random characters)`);
  }
  // The value is a secret: the message says what is wrong without repeating it.
  if (key !== undefined && key.length < MIN_ADMIN_KEY_LENGTH)
    throw new Error(
      `${source} holds a key of ${key.length} characters: use at least ${MIN_ADMIN_KEY_LENGTH} random ones (npm start writes one to .epara/credentials/admin.key)`,
    );
  return key;
}

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const e = loadEnv(GatewayEnv, env);
  if (e.EPARA_ADMISSION_PERCENT > 0 && e.EPARA_ADMISSION_PERCENT < 100) {
    throw new Error(
      `EPARA_ADMISSION_PERCENT=${e.EPARA_ADMISSION_PERCENT}: use 0 (throttle off) or 100–1000 (forward up to that percentage of what the workers accept)`,
    );
  }
  const adminKey = readAdminKey(e);
  const certFile = e.EPARA_HTTPS_CERT?.trim() || undefined;
  const keyFile = e.EPARA_HTTPS_KEY?.trim() || undefined;
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new Error(
      `HTTPS needs both EPARA_HTTPS_CERT and EPARA_HTTPS_KEY (only ${certFile ? 'EPARA_HTTPS_CERT' : 'EPARA_HTTPS_KEY'} is set)`,
    );
  }
  return Object.freeze({
    policy: servingPolicy(e.EPARA_POLICY),
    natsUrl: e.NATS_URL,
    natsSecurity: natsSecurityFromEnv(e),
    jetStreamReplicas: e.EPARA_JETSTREAM_REPLICAS,
    port: e.EPARA_GATEWAY_PORT,
    host: e.EPARA_GATEWAY_HOST,
    maxModelBytes: e.EPARA_MAX_MODEL_MB * 1024 * 1024,
    maxBodyBytes: e.EPARA_MAX_BODY_MB * 1024 * 1024,
    directReply: e.EPARA_DIRECT_REPLY,
    replyGraceMs: e.EPARA_REPLY_GRACE_MS,
    admissionThrottle: e.EPARA_ADMISSION_PERCENT > 0,
    admissionMultiplier: e.EPARA_ADMISSION_PERCENT / 100,
    callbackAllowList: e.EPARA_CALLBACK_ALLOW_HOSTS,
    authEnabled: e.EPARA_AUTH === 'on',
    adminKey,
    cacheDir: e.EPARA_CACHE_DIR,
    json: e.EPARA_LOG_FORMAT === 'json',
    name: e.EPARA_GATEWAY_NAME ?? `epara-gateway-${process.pid}`,
    https: certFile && keyFile ? { certFile, keyFile } : undefined,
  });
}

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
