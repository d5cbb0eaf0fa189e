import { DEFAULT_ROUTE_PARAMS, ReplicaLoad, RouteDecision, RouteParams } from './types';

/** Whether the gateway may send to a replica: ready and its state fresh. */
export function isEligible(c: ReplicaLoad, params: RouteParams): boolean {
  return c.ready && c.ageMs <= params.staleAfterMs;
}

/** Load score for routing: requests ahead of a new one there. */
export function loadScore(c: ReplicaLoad): number {
  return c.queued + c.running + c.localInflight;
}

/** Why nothing is eligible, counting each cause. */
export function noReplicaReason(candidates: readonly ReplicaLoad[], params: RouteParams): string {
  if (candidates.length === 0) return 'no replica placed';
  let notReady = 0;
  let stale = 0;
  for (const c of candidates) {
    if (!c.ready) notReady++;
    else if (c.ageMs > params.staleAfterMs) stale++;
  }
  return `no eligible replica of ${candidates.length}: ${notReady} not ready, ${stale} stale (state older than ${params.staleAfterMs} ms)`;
}

/**
 * When two replicas are equally loaded, exec-time estimates count as equal unless one is lower by more
 * than this fraction *and* by more than EXEC_TIME_TIE_FLOOR_MS. Strict comparison would hand every tie,
 * i.e. nearly all traffic at light load, to whichever estimate happens to be a hair lower; the other
 * replica then serves nothing, its estimate never refreshes (a worker that rejoins keeps its cold first
 * runs' figure) and it starves. A device that is really faster (a GPU beside a CPU, a 10 ms model) is
 * outside both bands and still wins the ties.
 */
export const EXEC_TIME_TIE_TOLERANCE = 0.25;
/**
 * Below this, ms, a difference in exec time is smaller than what a request's trip through NATS and the
 * gateway costs anyway (about a millisecond): a 0.15 ms and a 0.27 ms replica are equally good.
 */
export const EXEC_TIME_TIE_FLOOR_MS = 1;

/**
 * Share of load ties decided without exec times (the first sampled wins). An estimate refreshes only
 * where requests run: a replica whose figure is stale — a worker that rejoined and reports its cold first
 * runs (3 ms measured beside a warm 0.4 ms on the fault suite's bed), outside both tie bands — would lose
 * every tie at light load, serve nothing and never correct it. This share of ties lets it run a few
 * requests a second, enough for its estimate to come down to what it really costs; a device that really
 * is slower keeps losing the other ties.
 */
export const EXEC_TIME_EXPLORE_SHARE = 0.05;

/**
 * True when `a` is the better target: lower load score, then clearly lower exec time (except in the
 * exploring share of ties); else keep the first sampled.
 */
function isBetter(a: ReplicaLoad, b: ReplicaLoad, random: () => number): boolean {
  const la = loadScore(a);
  const lb = loadScore(b);
  if (la !== lb) return la < lb;
  if (random() < EXEC_TIME_EXPLORE_SHARE) return false;
  const faster = b.execMsEwma - a.execMsEwma;
  return faster > EXEC_TIME_TIE_FLOOR_MS && faster > EXEC_TIME_TIE_TOLERANCE * a.execMsEwma;
}

/**
 * Power of two choices (Mitzenmacher, "The Power of Two Choices in Randomized Load Balancing", 2001):
 * sample two distinct eligible replicas, send to the less loaded. Nearly as good as least-loaded with
 * far less herding when many gateways share stale state. O(n), two calls to `random` (three on a load tie), no arrays.
 */
export function chooseReplica(
  candidates: readonly ReplicaLoad[],
  random: () => number,
  params: RouteParams = DEFAULT_ROUTE_PARAMS,
): RouteDecision {
  return powerOfTwoChoices(candidates, random, params, '');
}

/** chooseReplica with a prefix on the reason (for callers that fall back to it). */
export function powerOfTwoChoices(
  candidates: readonly ReplicaLoad[],
  random: () => number,
  params: RouteParams,
  reasonPrefix: string,
): RouteDecision {
  let n = 0;
  let only = -1;
  for (let i = 0; i < candidates.length; i++) {
    if (isEligible(candidates[i], params)) {
      n++;
      only = i;
    }
  }
  if (n === 0) return { kind: 'none', reason: noReplicaReason(candidates, params) };
  const excluded = candidates.length - n;
  const note = excluded > 0 ? `; ${excluded} excluded (not ready or stale)` : '';
  if (n === 1)
    return { kind: 'replica', index: only, device: candidates[only].device, reason: `${reasonPrefix}only eligible replica${note}` };

  // Two distinct ordinals among the eligible: j skips i.
  const i = Math.min(n - 1, Math.floor(random() * n));
  let j = Math.min(n - 2, Math.floor(random() * (n - 1)));
  if (j >= i) j++;
  const lo = i < j ? i : j;
  const hi = i < j ? j : i;
  let a = lo;
  let b = hi;
  if (excluded > 0) {
    // Map the ordinals among the eligible to list indices (all eligible: they are the indices).
    a = -1;
    b = -1;
    for (let k = 0, ord = 0; k < candidates.length && b < 0; k++) {
      if (!isEligible(candidates[k], params)) continue;
      if (ord === lo) a = k;
      else if (ord === hi) b = k;
      ord++;
    }
  }
  // Ties go to the first sampled (ordinal i, uniformly random), never to the one listed first: equal
  // replicas share the traffic evenly.
  if (i > j) [a, b] = [b, a];
  const bWins = isBetter(candidates[b], candidates[a], random);
  const win = bWins ? b : a;
  const lose = bWins ? a : b;
  const w = candidates[win];
  const l = candidates[lose];
  return {
    kind: 'replica',
    index: win,
    device: w.device,
    reason: `${reasonPrefix}p2c: ${w.device} (load ${loadScore(w)}) over ${l.device} (load ${loadScore(l)})${note}`,
  };
}
