import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, IsString, IsIn } from 'class-validator';
import { POLICY_NAMES, PolicyName, servingPolicy, ServingPolicy } from '@epara/policy';
import { NatsSecurity, natsSecurityFromEnv } from '@epara/nats/security';
import { CommonEnv, IntEnv, loadEnv } from '@epara/contracts';

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
  @Transform(({ value }) => (value === undefined || value === '' ? true : value === true || value === 'true' || value === '1'))
  @IsBoolean()
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

  /** HTTPS: the certificate (PEM, the chain after it) and its private key; both or neither. Default: plain HTTP. */
  @IsOptional()
  @IsString()
  EPARA_HTTPS_CERT?: string;

  @IsOptional()
  @IsString()
  EPARA_HTTPS_KEY?: string;
}

export interface GatewayConfig {
  policy: ServingPolicy;
  natsUrl: string;
  /** Credentials, TLS and inbox prefix for NATS (NATS_CREDS, NATS_NKEY_SEED, NATS_TLS_CA, …). */
  natsSecurity: NatsSecurity;
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
  cacheDir?: string;
  json: boolean;
  name: string;
  /** PEM files of the HTTPS certificate and key; undefined: plain HTTP. */
  https?: { certFile: string; keyFile: string };
}

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const e = loadEnv(GatewayEnv, env);
  if (e.EPARA_ADMISSION_PERCENT > 0 && e.EPARA_ADMISSION_PERCENT < 100) {
    throw new Error(
      `EPARA_ADMISSION_PERCENT=${e.EPARA_ADMISSION_PERCENT}: use 0 (throttle off) or 100–1000 (forward up to that percentage of what the workers accept)`,
    );
  }
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
    port: e.EPARA_GATEWAY_PORT,
    host: e.EPARA_GATEWAY_HOST,
    maxModelBytes: e.EPARA_MAX_MODEL_MB * 1024 * 1024,
    maxBodyBytes: e.EPARA_MAX_BODY_MB * 1024 * 1024,
    directReply: e.EPARA_DIRECT_REPLY,
    replyGraceMs: e.EPARA_REPLY_GRACE_MS,
    admissionThrottle: e.EPARA_ADMISSION_PERCENT > 0,
    admissionMultiplier: e.EPARA_ADMISSION_PERCENT / 100,
    cacheDir: e.EPARA_CACHE_DIR,
    json: e.EPARA_LOG_FORMAT === 'json',
    name: e.EPARA_GATEWAY_NAME ?? `epara-gateway-${process.pid}`,
    https: certFile && keyFile ? { certFile, keyFile } : undefined,
  });
}

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
