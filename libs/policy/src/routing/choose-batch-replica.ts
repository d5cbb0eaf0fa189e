import { isEligible, loadScore, powerOfTwoChoices } from './choose-replica';
import { BatchReplicaLoad, DEFAULT_ROUTE_PARAMS, RouteDecision, RouteParams } from './types';

/**
 * Routing for `batch` mode: send to a replica whose batch is forming (0 < queued < preferred size)
 * so batches fill and run sooner, instead of spreading requests thin over all replicas; among those,
 * the fullest (it runs first), then the lower load score, then the first. Else power of two choices.
 * O(n).
 */
export function chooseBatchReplica(
  candidates: readonly BatchReplicaLoad[],
  random: () => number,
  params: RouteParams = DEFAULT_ROUTE_PARAMS,
): RouteDecision {
  let best = -1;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i];
    if (!isEligible(c, params) || c.fnQueued <= 0 || c.fnQueued >= c.preferredBatchSize) continue;
    if (best < 0) {
      best = i;
      continue;
    }
    const b = candidates[best];
    if (c.fnQueued > b.fnQueued || (c.fnQueued === b.fnQueued && loadScore(c) < loadScore(b))) best = i;
  }
  if (best >= 0) {
    const c = candidates[best];
    return {
      kind: 'replica',
      index: best,
      device: c.device,
      reason: `batch window: ${c.device} has ${c.fnQueued}/${c.preferredBatchSize} queued`,
    };
  }
  return powerOfTwoChoices(candidates, random, params, 'no batch forming; ');
}
