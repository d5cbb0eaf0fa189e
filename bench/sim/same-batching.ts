import type { FunctionBatching } from '@epara/policy';

/** Whether two batching limits are equal (retune only on change). */
export function sameBatching(a: FunctionBatching | undefined, b: FunctionBatching): boolean {
  return !!a && a.maxBatchSize === b.maxBatchSize && a.preferredBatchSize === b.preferredBatchSize && a.maxQueueDelayMs === b.maxQueueDelayMs;
}
