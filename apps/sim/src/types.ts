import type { PolicyName } from '@epara/policy';
import type { RunSummary } from '@epara/goodput';

/** Options of one simulated run (one policy over one workload). */
export interface SimOptions {
  policy: PolicyName;
  /** Replace the workload's device count (spread over its device groups). */
  devices?: number;
  /** Replace the workload's seed (arrivals and all simulator randomness). */
  seed?: number;
  /** Replace the measured duration, s. */
  durationS?: number;
  /** Replace the warm-up, s. */
  warmupS?: number;
  /** Placement period, ms (the scheduler's EPARA_PLACEMENT_PERIOD_MS). Default 10000. */
  placementPeriodMs?: number;
  /** Heartbeat period, ms (EPARA_HEARTBEAT_MS). Default 1000. */
  heartbeatMs?: number;
  /** Requests queued per function per device before 429 (EPARA_MAX_QUEUE). Default 1024. */
  maxQueue?: number;
  /** Timeline bucket, ms. Default 1000. */
  bucketMs?: number;
}

/** What a run reports besides the goodput summary (also stored in `RunSummary.meta`). */
export interface SimStats {
  wallMs: number;
  /** CPU time the run used (user + system), ms: comparable across machines and load, unlike wall time. */
  cpuMs: number;
  events: number;
  requests: number;
  batches: number;
  meanBatchSize: number;
  placementRounds: number;
  placementMs: number;
  modelLoads: number;
  recategorizations: { atS: number; fn: string; from: string; to: string }[];
  /** Per function at the end: mode and replica devices. */
  finalPlacement: Record<string, { mode: string; replicas: number }>;
  simulatedS: number;
}

export interface SimResult {
  summary: RunSummary;
  stats: SimStats;
}
