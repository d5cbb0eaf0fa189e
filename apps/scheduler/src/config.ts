import { IsOptional, IsString, IsIn } from 'class-validator';
import { POLICY_NAMES, PolicyName, servingPolicy, ServingPolicy } from '@epara/policy';
import { NatsSecurity, natsSecurityFromEnv } from '@epara/nats/security';
import { CommonEnv, IntEnv, loadEnv, LOOP_DEFAULTS } from '@epara/contracts';

export class SchedulerEnv extends CommonEnv {
  /** Whole-system policy: epara (default) or a baseline (naive, static-batch, adaptive-batch) for benchmarks. */
  @IsIn(POLICY_NAMES, { message: `EPARA_POLICY must be one of: ${POLICY_NAMES.join(', ')}` })
  EPARA_POLICY: PolicyName = 'epara';

  /** Placement period, ms. Also recomputed at once on deploy, delete, device joined or lost. Default 10000. */
  @IntEnv(200, 3_600_000)
  EPARA_PLACEMENT_PERIOD_MS: number = LOOP_DEFAULTS.placementPeriodMs;

  /** A device whose last heartbeat is older than this is lost, ms. Default 3500 (three missed beats). */
  @IntEnv(500, 600_000)
  EPARA_DEVICE_LOST_MS: number = LOOP_DEFAULTS.deviceLostMs;

  /** How long a lost device's placement key is kept for its return, ms; 0: removed at once. Default 600000. */
  @IntEnv(0, 86_400_000)
  EPARA_DEVICE_REJOIN_MS: number = LOOP_DEFAULTS.deviceRejoinMs;

  /** Leader lock refresh period, ms; the lock expires after 3 missed refreshes. Default 2000. */
  @IntEnv(100, 60_000)
  EPARA_LEADER_REFRESH_MS: number = 2_000;

  /** HTTP port for /health and /metrics. Default 0 (any free port). */
  @IntEnv(0, 65535)
  EPARA_SCHEDULER_PORT: number = 0;

  @IsOptional()
  @IsString()
  EPARA_SCHEDULER_ID?: string;
}

export interface SchedulerConfig {
  policy: ServingPolicy;
  natsUrl: string;
  /** Credentials, TLS and inbox prefix for NATS (NATS_CREDS, NATS_NKEY_SEED, NATS_TLS_CA, …). */
  natsSecurity: NatsSecurity;
  /** Replicas of the buckets this app creates (EPARA_JETSTREAM_REPLICAS). */
  jetStreamReplicas: number;
  periodMs: number;
  deviceLostMs: number;
  deviceRejoinMs: number;
  leaderRefreshMs: number;
  port: number;
  id: string;
  json: boolean;
}

export function loadSchedulerConfig(env: NodeJS.ProcessEnv = process.env): SchedulerConfig {
  const e = loadEnv(SchedulerEnv, env);
  return Object.freeze({
    policy: servingPolicy(e.EPARA_POLICY),
    natsUrl: e.NATS_URL,
    natsSecurity: natsSecurityFromEnv(e),
    jetStreamReplicas: e.EPARA_JETSTREAM_REPLICAS,
    periodMs: e.EPARA_PLACEMENT_PERIOD_MS,
    deviceLostMs: e.EPARA_DEVICE_LOST_MS,
    deviceRejoinMs: e.EPARA_DEVICE_REJOIN_MS,
    leaderRefreshMs: e.EPARA_LEADER_REFRESH_MS,
    port: e.EPARA_SCHEDULER_PORT,
    id: e.EPARA_SCHEDULER_ID ?? `scheduler-${process.pid}`,
    json: e.EPARA_LOG_FORMAT === 'json',
  });
}

export const SCHEDULER_CONFIG = Symbol('SCHEDULER_CONFIG');
