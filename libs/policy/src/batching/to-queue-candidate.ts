import { decideBatch } from './decide-batch';
import { BatchParams, DEFAULT_DEADLINE_SAFETY_MS, QueueCandidate, QueueView } from './types';

/** The batch decision of one queue plus what `pickNextQueue` needs to compare it with others. O(1). */
export function toQueueCandidate(key: string, view: QueueView, params: BatchParams, nowMs: number): QueueCandidate {
  const decision = decideBatch(view, params, nowMs);
  const maxBatch = params.maxBatchSize >= 1 ? params.maxBatchSize : 1;
  const runnableSize = view.size < maxBatch ? view.size : maxBatch;
  const runMs = runnableSize > 0 ? params.execMs(runnableSize) : 0;
  const latestStartMs = view.earliestDeadlineMs - (params.safetyMs ?? DEFAULT_DEADLINE_SAFETY_MS) - runMs;
  return { key, decision, earliestDeadlineMs: view.earliestDeadlineMs, runnableSize, runMs, latestStartMs };
}
