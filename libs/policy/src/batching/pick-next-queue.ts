import { fmtMs } from '../util/format';
import { NextQueue, QueueCandidate } from './types';

/**
 * Which queue a device serves next, among the batch queues of all functions (and shape groups) on it.
 * Earliest deadline first (EDF, Liu & Layland 1973) so a busy frequency-sensitive function cannot
 * starve a latency-sensitive one:
 * 1. among queues whose decision is `run`, the earliest deadline (ties → first in the list);
 * 2. with `nowMs` and candidates from `toQueueCandidate`: a waiting queue with an earlier deadline
 *    that cannot wait for that run to finish (latest start < now + runMs) runs first, with what it
 *    has — it would miss otherwise. This assumes the device runs one batch at a time; a device that
 *    runs several concurrently can leave `nowMs` out;
 * 3. if nothing runs, the shortest wait.
 * O(n), no allocation besides the result.
 */
export function pickNextQueue(candidates: readonly QueueCandidate[], nowMs?: number): NextQueue {
  let run = -1;
  let ready = 0;
  let wait = -1;
  let waitMs = Infinity;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i];
    if (c.decision.kind === 'run') {
      ready++;
      if (run < 0 || c.earliestDeadlineMs < candidates[run].earliestDeadlineMs) run = i;
    } else if (c.runnableSize !== 0 && c.decision.forMs < waitMs) {
      waitMs = c.decision.forMs;
      wait = i;
    }
  }
  if (run < 0) {
    if (wait >= 0) return { kind: 'wait', key: candidates[wait].key, forMs: waitMs };
    return { kind: 'idle', reason: 'no queue has requests' };
  }
  const chosen = candidates[run];
  if (nowMs !== undefined && chosen.runMs !== undefined) {
    const finishMs = nowMs + chosen.runMs;
    let urgent = -1;
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i];
      if (c.decision.kind !== 'wait' || !c.runnableSize || c.latestStartMs === undefined) continue;
      if (c.earliestDeadlineMs >= chosen.earliestDeadlineMs || c.latestStartMs >= finishMs) continue;
      if (urgent < 0 || c.earliestDeadlineMs < candidates[urgent].earliestDeadlineMs) urgent = i;
    }
    if (urgent >= 0) {
      const u = candidates[urgent];
      return {
        kind: 'run',
        key: u.key,
        size: u.runnableSize!,
        reason: `deadline: cannot wait behind ${chosen.key} (${fmtMs(chosen.runMs)}), ${fmtMs(u.latestStartMs! - nowMs)} slack`,
      };
    }
  }
  const d = chosen.decision as { kind: 'run'; size: number; reason: string };
  const reason = ready > 1 ? `${d.reason}; earliest deadline of ${ready} ready queues` : d.reason;
  return { kind: 'run', key: chosen.key, size: d.size, reason };
}
