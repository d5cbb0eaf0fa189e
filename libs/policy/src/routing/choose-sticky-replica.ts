import { isEligible, noReplicaReason } from './choose-replica';
import { DEFAULT_ROUTE_PARAMS, ReplicaLoad, RouteDecision, RouteParams } from './types';

/** FNV-1a over the UTF-16 code units of `s`, then murmur3's finalizer so that near keys spread (32 bits). */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The weight of `device` for `key`: every gateway computes the same from the same two strings. */
export function rendezvousWeight(key: string, device: string): number {
  return hash32(`${key}\u0000${device}`);
}

/**
 * Sticky routing for stateful streams: rendezvous (highest random weight) hashing, Thaler & Ravishankar,
 * "Using name-based mappings to increase hit rates" (1998). Of the eligible replicas, the one with the
 * highest `rendezvousWeight(key, device)`. Stateless, so every gateway (and the simulator) sends a key
 * to the same replica without sharing a map; when a replica leaves, only the keys it held move (each to
 * its next-highest replica), and a replica that joins takes only the keys it now wins. Load is not
 * considered: the state is where it is. Ties (equal weights) go to the first in the list. O(n).
 */
export function chooseStickyReplica(
  candidates: readonly ReplicaLoad[],
  key: string,
  params: RouteParams = DEFAULT_ROUTE_PARAMS,
): RouteDecision {
  let best = -1;
  let bestWeight = -1;
  let eligible = 0;
  for (let i = 0; i < candidates.length; i++) {
    if (!isEligible(candidates[i], params)) continue;
    eligible++;
    const w = rendezvousWeight(key, candidates[i].device);
    if (w > bestWeight) {
      best = i;
      bestWeight = w;
    }
  }
  if (best < 0) return { kind: 'none', reason: noReplicaReason(candidates, params) };
  const excluded = candidates.length - eligible;
  const note = excluded > 0 ? `; ${excluded} excluded (not ready or stale)` : '';
  return {
    kind: 'replica',
    index: best,
    device: candidates[best].device,
    reason: `sticky: stream "${key}" → ${candidates[best].device} (rendezvous hash over ${eligible} replica(s))${note}`,
  };
}
