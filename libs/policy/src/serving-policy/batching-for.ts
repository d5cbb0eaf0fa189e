/**
 * How a device batches one function under each policy's batching kind, and the AIMD step after a run:
 * shared by the worker and the simulator, so both batch alike.
 */
import { aimdMaxBatchSize } from '../batching/aimd-max-batch-size';
import { chooseBatchParams } from '../batching/choose-batch-params';
import { BATCH_EXEC_SLO_FRACTION } from '../batching/types';
import { ServingPolicy, STATIC_MAX_BATCH, STATIC_QUEUE_DELAY_MS } from './serving-policy';

/** A device's batching limits for one function (the executor's FunctionBatching). */
export interface FunctionBatching {
  maxBatchSize: number;
  preferredBatchSize: number;
  maxQueueDelayMs: number;
}

/** Upper bound of the AIMD batch size (the `adaptive-batch` baseline), shared by the worker and the simulator. */
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

/** Batching limits for one function on one device under the policy's batching kind . */
export function batchingFor(policy: ServingPolicy['batching'], p: BatchingInput): FunctionBatching {
  if (policy === 'off') return { ...ALONE };
  if (policy === 'static')
    return p.batchable
      ? { maxBatchSize: STATIC_MAX_BATCH, preferredBatchSize: STATIC_MAX_BATCH, maxQueueDelayMs: STATIC_QUEUE_DELAY_MS }
      : { ...ALONE };
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

/** The AIMD step after a run (Clipper): budget = SLO × BATCH_EXEC_SLO_FRACTION, max AIMD_MAX_BATCH. */
export function nextAimdBatchSize(current: number, execMs: number, sloMs: number): number {
  return Math.round(aimdMaxBatchSize(current, execMs, sloMs * BATCH_EXEC_SLO_FRACTION, { max: AIMD_MAX_BATCH }));
}

export function sameBatching(a: FunctionBatching | undefined, b: FunctionBatching): boolean {
  return (
    !!a && a.maxBatchSize === b.maxBatchSize && a.preferredBatchSize === b.preferredBatchSize && a.maxQueueDelayMs === b.maxQueueDelayMs
  );
}
