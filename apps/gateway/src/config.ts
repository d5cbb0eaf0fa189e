import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, IsString, IsIn } from 'class-validator';
import { POLICY_NAMES, PolicyName, servingPolicy, ServingPolicy } from '@epara/policy';
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
}

export interface GatewayConfig {
  policy: ServingPolicy;
  natsUrl: string;
  port: number;
  host: string;
  maxModelBytes: number;
  /** Largest HTTP invocation body, bytes. */
  maxBodyBytes: number;
  directReply: boolean;
  replyGraceMs: number;
  cacheDir?: string;
  json: boolean;
  name: string;
}

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const e = loadEnv(GatewayEnv, env);
  return Object.freeze({
    policy: servingPolicy(e.EPARA_POLICY),
    natsUrl: e.NATS_URL,
    port: e.EPARA_GATEWAY_PORT,
    host: e.EPARA_GATEWAY_HOST,
    maxModelBytes: e.EPARA_MAX_MODEL_MB * 1024 * 1024,
    maxBodyBytes: e.EPARA_MAX_BODY_MB * 1024 * 1024,
    directReply: e.EPARA_DIRECT_REPLY,
    replyGraceMs: e.EPARA_REPLY_GRACE_MS,
    cacheDir: e.EPARA_CACHE_DIR,
    json: e.EPARA_LOG_FORMAT === 'json',
    name: e.EPARA_GATEWAY_NAME ?? `epara-gateway-${process.pid}`,
  });
}

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
