/**
 * Copied glue (candidate for libs/policy): the worker's `batchingFor` (apps/worker/src/serving/
 * worker.service.ts) and its AIMD step from `runBatch`, as pure functions, so the simulator batches
 * exactly as the worker does under each policy. Keep in step with the worker until it moves.
 */
import { aimdMaxBatchSize, BATCH_EXEC_SLO_FRACTION, chooseBatchParams, ServingPolicy, STATIC_MAX_BATCH, STATIC_QUEUE_DELAY_MS } from '@epara/policy';
import type { FunctionBatching } from '@epara/runtime/execution/device-executor';

/** Upper bound of the AIMD batch size (the `adaptive-batch` baseline), as in the worker. */
export const AIMD_MAX_BATCH = 64;

export interface BatchingInput {
  /** The function's mode on this device (from its assignment). */
  mode: 'dp' | 'batch' | string;
  sloMs: number;
  batchable: boolean;
  /** The assignment's limits (the scheduler's choice), passed to chooseBatchParams as hints. */
  assignment: { maxBatchSize?: number; maxQueueDelayMs?: number };
  /** The device's estimator: its snapshot is the measured exec time per batch size. */
  estimator: { snapshot(): Readonly<Record<string, number>> };
  /** Current AIMD size (adaptive-batch). */
  aimdBatchSize: number;
}

const ALONE: Readonly<FunctionBatching> = Object.freeze({ maxBatchSize: 1, preferredBatchSize: 1, maxQueueDelayMs: 0 });

/** Batching limits for one function on one device under the policy's batching kind (worker.service.ts `batchingFor`). */
export function batchingFor(policy: ServingPolicy['batching'], p: BatchingInput): FunctionBatching {
  if (policy === 'off') return { ...ALONE };
  if (policy === 'static') return p.batchable ? { maxBatchSize: STATIC_MAX_BATCH, preferredBatchSize: STATIC_MAX_BATCH, maxQueueDelayMs: STATIC_QUEUE_DELAY_MS } : { ...ALONE };
  // Clipper-like: take what is queued, up to the AIMD size, without waiting.
  if (policy === 'aimd') return { maxBatchSize: p.aimdBatchSize, preferredBatchSize: p.aimdBatchSize, maxQueueDelayMs: 0 };
  const chosen = chooseBatchParams({
    execMsByBatch: p.estimator.snapshot(),
    sloMs: p.sloMs,
    mode: p.mode === 'batch' ? 'batch' : 'dp',
    hints: { maxBatchSize: p.assignment.maxBatchSize, maxQueueDelayMs: p.assignment.maxQueueDelayMs },
    batchable: p.batchable,
  });
  return { maxBatchSize: chosen.maxBatchSize, preferredBatchSize: chosen.preferredBatchSize, maxQueueDelayMs: chosen.maxQueueDelayMs };
}

/** The worker's AIMD step after a run (worker.service.ts `runBatch`): budget = SLO × BATCH_EXEC_SLO_FRACTION, max AIMD_MAX_BATCH. */
export function nextAimdBatchSize(current: number, execMs: number, sloMs: number): number {
  return Math.round(aimdMaxBatchSize(current, execMs, sloMs * BATCH_EXEC_SLO_FRACTION, { max: AIMD_MAX_BATCH }));
}

export function sameBatching(a: FunctionBatching | undefined, b: FunctionBatching): boolean {
  return !!a && a.maxBatchSize === b.maxBatchSize && a.preferredBatchSize === b.preferredBatchSize && a.maxQueueDelayMs === b.maxQueueDelayMs;
}
