import { fmtMs } from '../util/format';
import { BatchDecision, BatchParams, DEFAULT_DEADLINE_SAFETY_MS, MIN_WAIT_MS, QueueView } from './types';

/**
 * Dynamic batching, deadline-aware. After Triton's dynamic batcher (`GetDynamicBatch()` in
 * `src/dynamic_batch_scheduler.cc`): run at the preferred size or when the oldest request has waited
 * `maxQueueDelayMs`; else wait. Added: run early when waiting for one more request (a batch one
 * larger, so slower) would make the most urgent request miss its deadline.
 *
 * O(1), two calls to `execMs`. Comparisons fire at equality, so a timer armed for exactly the returned
 * wait fires the rule on the next call.
 *
 * An empty queue has nothing to run: it returns a wait of `maxQueueDelayMs`; the caller asks again on
 * the next arrival.
 */
export function decideBatch(view: QueueView, params: BatchParams, nowMs: number): BatchDecision {
  const size = view.size;
  const maxBatch = params.maxBatchSize >= 1 ? params.maxBatchSize : 1;
  if (size <= 0) return { kind: 'wait', forMs: Math.max(params.maxQueueDelayMs, MIN_WAIT_MS) };
  const preferred = Math.min(Math.max(params.preferredBatchSize, 1), maxBatch);
  const runSize = size < maxBatch ? size : maxBatch;
  if (size >= preferred) return { kind: 'run', size: runSize, reason: `preferred size ${preferred} reached` };

  // size < preferred ≤ maxBatch, so a batch of size + 1 is allowed: that is what waiting buys.
  const safetyMs = params.safetyMs ?? DEFAULT_DEADLINE_SAFETY_MS;
  const latestStartMs = view.earliestDeadlineMs - safetyMs - params.execMs(size + 1);
  if (nowMs >= latestStartMs) {
    const slackMs = view.earliestDeadlineMs - safetyMs - nowMs - params.execMs(runSize);
    return { kind: 'run', size: runSize, reason: `deadline: ${fmtMs(slackMs)} slack` };
  }
  const ageMs = nowMs - view.oldestArrivalMs;
  if (ageMs >= params.maxQueueDelayMs) {
    return { kind: 'run', size: runSize, reason: `max queue delay ${fmtMs(params.maxQueueDelayMs)}` };
  }
  const untilDelayMs = params.maxQueueDelayMs - ageMs;
  const untilDeadlineMs = latestStartMs - nowMs;
  const forMs = untilDelayMs < untilDeadlineMs ? untilDelayMs : untilDeadlineMs;
  return { kind: 'wait', forMs: forMs > MIN_WAIT_MS ? forMs : MIN_WAIT_MS };
}

/** Whether a request can still finish by its deadline if it starts now and takes `execMs`. */
export function canStillMeet(deadlineMs: number, nowMs: number, execMs: number): boolean {
  return nowMs + execMs <= deadlineMs;
}

/** Whether a request's deadline has passed: the worker drops it unrun (`Epara-Deadline` header). */
export function isExpired(deadlineMs: number, nowMs: number): boolean {
  return deadlineMs <= nowMs;
}
