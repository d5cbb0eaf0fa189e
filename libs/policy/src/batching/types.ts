/**
 * The queue of ONE shape group of one function: requests batch together only when their non-batch
 * dimensions match, so the caller keeps a group per input shape and asks once per group.
 */
export interface QueueView {
  /** Requests waiting. */
  size: number;
  /** Arrival of the oldest waiting request, epoch ms. */
  oldestArrivalMs: number;
  /** Earliest deadline among the waiting requests, epoch ms; Infinity when none has one. */
  earliestDeadlineMs: number;
}

export interface BatchParams {
  /** Largest batch one run may take. Min 1. */
  maxBatchSize: number;
  /** Size at which a batch runs at once (the profile's best size); clamped to maxBatchSize. Min 1. */
  preferredBatchSize: number;
  /** Max wait before a partial batch runs, ms, counted from the oldest queued request. Min 0. */
  maxQueueDelayMs: number;
  /** Execution time of one run of `batchSize` requests, ms (see AdaptiveExecEstimator). */
  execMs: (batchSize: number) => number;
  /**
   * Margin kept before a deadline, ms: timer lateness plus the reply hop (≈ 0.66 ms p50 per NATS round
   * trip, measured between two local processes). Min 0. Default DEFAULT_DEADLINE_SAFETY_MS.
   */
  safetyMs?: number;
}

/** What the batcher does now: run `size` requests, or arm a timer for `forMs` and ask again. */
export type BatchDecision = { kind: 'run'; size: number; reason: string } | { kind: 'wait'; forMs: number };

/** Default margin before a deadline, ms: one reply hop plus timer lateness. */
export const DEFAULT_DEADLINE_SAFETY_MS = 1;
/** Smallest wait returned, ms, so a caller never spins on a zero timer. */
export const MIN_WAIT_MS = 0.05;

export interface ChooseBatchParamsInput {
  /** The profile's (or an estimator snapshot's) exec time per batch size; absent → defaults. */
  execMsByBatch?: Readonly<Record<string, number>>;
  /** Latency SLO, ms. */
  sloMs: number;
  mode: 'dp' | 'batch';
  hints?: { maxBatchSize?: number; maxQueueDelayMs?: number };
  /** False when the model has no batch dimension: every batch is 1. Default true. */
  batchable?: boolean;
}

export interface ChosenBatchParams {
  maxBatchSize: number;
  preferredBatchSize: number;
  maxQueueDelayMs: number;
  reason: string;
}

/**
 * batch mode: a batch may take at most half the SLO, so a request that arrives as a batch starts can
 * wait for it and still run in the next one.
 */
export const BATCH_EXEC_SLO_FRACTION = 0.5;
/** dp mode: the preferred batch takes at most a quarter of the SLO (latency first, small batches). */
export const DP_EXEC_SLO_FRACTION = 0.25;
/** dp mode: max queue delay = min(2 ms, 10% of the SLO): waiting only adds delay to sparse requests. */
/**
 * dp mode never holds a request back for a partner (work-conserving): waiting only adds delay to sparse
 * requests, and batches still form from what queues up while the device is busy. Measured: a 2 ms hold
 * cost a lone request ≈ 3 ms p50 (docs/benchmarks.md).
 */
export const DP_MAX_QUEUE_DELAY_MS = 0;
export const DP_QUEUE_DELAY_SLO_FRACTION = 0.1;
/**
 * batch mode: max queue delay = min(SLO/4, SLO − 2 × exec(preferred)): a request may wait the delay,
 * then wait behind one running batch, then run in its own, and still meet the SLO.
 */
export const BATCH_QUEUE_DELAY_SLO_FRACTION = 0.25;
/** batch mode without a profile: batch size to start from until one is measured. */
export const DEFAULT_BATCH_SIZE_WITHOUT_PROFILE = 8;

export interface ExecEstimatorOptions {
  /** Weight of a new measurement in the EWMA, (0, 1]. Default 0.2 (about the last 10 runs count). */
  alpha?: number;
  /** Returned while nothing is known, ms. Min 0. Default 0: the deadline rule then sees only the deadline. */
  unknownMs?: number;
}

/**
 * One batch queue on a device, as `pickNextQueue` compares them. The last three fields are optional;
 * with them (build it with `toQueueCandidate`) a waiting queue that cannot wait behind another run
 * goes first.
 */
export interface QueueCandidate {
  /** The caller's name for the queue, e.g. `<fn>/<shape>`. */
  key: string;
  decision: BatchDecision;
  /** Earliest deadline in the queue, epoch ms; Infinity when none. */
  earliestDeadlineMs: number;
  /** Requests it would run if it had to run now: min(size, maxBatchSize). */
  runnableSize?: number;
  /** How long running `runnableSize` occupies the device, ms. */
  runMs?: number;
  /** Latest start of that run that still meets `earliestDeadlineMs` (deadline − safety − runMs), epoch ms. */
  latestStartMs?: number;
}

/** Which queue a device serves next: run one, wait for the soonest timer, or nothing queued. */
export type NextQueue =
  | { kind: 'run'; key: string; size: number; reason: string }
  | { kind: 'wait'; key: string; forMs: number }
  | { kind: 'idle'; reason: string };

export interface AimdOptions {
  /** Added after a run within budget. Default 1. */
  increase?: number;
  /** Factor applied after a run over budget. Default 0.9 (Clipper's 10% backoff). */
  backoff?: number;
  /** Upper bound. Default Infinity. */
  max?: number;
}
