/**
 * Goodput accounting shared by the simulator and the live replay:
 * a request is good when its end-to-end latency, from its scheduled send time to its reply, is within
 * its function's SLO; drops and errors are never good. Goodput is good requests per second of the
 * measured window (warm-up excluded), attainment is good / offered.
 */

/** Why a request got no result; HTTP-like codes, as in a reply's `Nats-Service-Error-Code` header. */
export const DropReason = {
  /** Deadline: dropped before running because it could no longer meet its deadline, or no reply in time. */
  Deadline: '504',
  /** Shed: the device queue was full. */
  Shed: '429',
  /** No capacity: no replica placed or none answered. */
  NoReplica: '503',
  /** Anything else (501 not servable, 500, ...), counted together. */
  Other: 'other',
} as const;
export type DropReason = (typeof DropReason)[keyof typeof DropReason];
export const DROP_REASONS: readonly DropReason[] = Object.values(DropReason);

/** Maps a numeric or string error code to the reason it is counted under. */
export function dropReasonOf(code: number | string): DropReason {
  const s = String(code);
  return s === '504' || s === '429' || s === '503' ? (s as DropReason) : DropReason.Other;
}

export interface FunctionInfo {
  name: string;
  sloMs: number;
  /** Batch-1 execution time on the reference device, ms: the weight in compute-weighted goodput. */
  exec1Ms?: number;
}

export interface FunctionSummary {
  name: string;
  sloMs: number;
  /** Requests sent within the measured window. */
  offered: number;
  /** Replies with a result (in SLO or not). */
  completed: number;
  /** Completed within the SLO. */
  good: number;
  drops: Record<DropReason, number>;
  /** Offered requests per second of the window. */
  offeredRps: number;
  /** Good requests per second of the window. */
  goodput: number;
  /** Completed requests per second of the window. */
  throughput: number;
  /** good / offered, in [0, 1]; NaN when nothing was offered. */
  attainment: number;
  /** Latency percentiles of completed requests, ms (nearest rank); NaN when none completed. */
  p50: number;
  p95: number;
  p99: number;
  mean: number;
}

export interface RunSummary {
  /** The policy (or other label) the run was made with. */
  label: string;
  workload: string;
  /** Length of the measured window, s. */
  windowS: number;
  functions: FunctionSummary[];
  /** All functions together (percentiles over all completed requests). */
  total: FunctionSummary;
  /** Σ good_i × exec1_i per second: goodput weighted by batch-1 compute, ms of work per s (A5). */
  computeWeightedGoodput: number;
  /** Good replies per second over the whole run by reply time, `bucketMs` buckets from t = 0 (warm-up included). */
  timeline: { bucketMs: number; goodPerS: number[] };
  /** Free-form facts about the run (wall time, events, placement rounds, ...). */
  meta: Record<string, unknown>;
}
