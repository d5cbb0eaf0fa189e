// Leaf modules, not the index: under tsx each call through a re-export costs getters (the simulator
// runs this code millions of times).
import { canStillMeet } from '@epara/policy/batching/decide-batch';
import type { QueueView } from '@epara/policy/batching/types';
import { PendingRequest } from './pending-request';

/**
 * The queue of one function on one device, split into groups of equal shape (only those share a
 * batch). Each group is kept in deadline order (earliest first); arrivals of one function mostly come
 * in deadline order, so insertion is an append in the common case.
 */
export class FunctionQueue {
  /**
   * Shape group → its requests, in the order the groups last became non-empty (the executor's
   * tie-break follows it). An emptied group is removed, except when it is the only one: most
   * functions have one shape, and deleting and re-adding it on every batch was measurable churn.
   * A kept empty group that fills again while others exist moves to the end, as if re-added.
   */
  private readonly groups = new Map<string, PendingRequest[]>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(r: PendingRequest): void {
    let g = this.groups.get(r.prepared.groupKey);
    if (!g) this.groups.set(r.prepared.groupKey, (g = []));
    else if (g.length === 0 && this.groups.size > 1) {
      this.groups.delete(r.prepared.groupKey);
      this.groups.set(r.prepared.groupKey, g);
    }
    let i = g.length;
    while (i > 0 && g[i - 1].deadlineMs > r.deadlineMs) i--;
    if (i === g.length) g.push(r);
    else g.splice(i, 0, r);
    this.count++;
  }

  /**
   * The non-empty groups in insertion order, with their keys (the executor's per-pump scan: no
   * generator, no tuple per group). Read-only: mutate only through this class.
   */
  groupEntries(): IterableIterator<[string, readonly PendingRequest[]]> {
    return this.groups.entries();
  }

  /** Requests that run before one with this deadline (earliest deadline first, across groups). */
  countAhead(deadlineMs: number): number {
    let n = 0;
    for (const g of this.groups.values()) {
      // Groups are in deadline order: count up to the first later deadline (binary search; queues
      // under overload hold hundreds of requests and this runs on every arrival).
      if (g.length === 0) continue;
      if (g[g.length - 1].deadlineMs <= deadlineMs) {
        n += g.length;
        continue;
      }
      let lo = 0;
      let hi = g.length - 1; // g[hi] is later than deadlineMs
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (g[mid].deadlineMs <= deadlineMs) lo = mid + 1;
        else hi = mid;
      }
      n += lo;
    }
    return n;
  }

  /** Deadline of the most urgent request of a group; Infinity when empty. */
  headDeadline(groupKey: string): number {
    return this.groups.get(groupKey)?.[0]?.deadlineMs ?? Infinity;
  }

  /** Removes and returns the `n` most urgent requests of a group. */
  take(groupKey: string, n: number): PendingRequest[] {
    const g = this.groups.get(groupKey);
    if (!g) return [];
    const out = g.splice(0, n);
    this.count -= out.length;
    this.removeIfEmpty(groupKey, g);
    return out;
  }

  /**
   * Removes requests that cannot finish by their deadline: those whose deadline is before `now + exec1`
   * (they could not finish even if they ran alone now). Each group is in deadline order, so only its
   * head is looked at when nothing is hopeless, and nothing is allocated then (called on every pump).
   */
  dropHopeless(nowMs: number, exec1Ms: number, onDropped: (r: PendingRequest) => void): void {
    for (const [key, g] of this.groups) {
      let k = 0;
      while (k < g.length && !canStillMeet(g[k].deadlineMs, nowMs, exec1Ms)) k++;
      if (k === 0) continue;
      const dropped = g.splice(0, k);
      this.count -= k;
      this.removeIfEmpty(key, g);
      for (const r of dropped) onDropped(r);
    }
  }

  private removeIfEmpty(key: string, g: readonly PendingRequest[]): void {
    if (g.length === 0 && this.groups.size > 1) this.groups.delete(key);
  }

  /** Empties the queue (unload, shutdown). */
  drainAll(): PendingRequest[] {
    const all = [...this.groups.values()].flat();
    this.groups.clear();
    this.count = 0;
    return all;
  }
}

/** Fills `out` with the view of a non-empty group (deadline-ordered, so its head has the earliest deadline). */
export function viewOf(g: readonly PendingRequest[], out: QueueView): QueueView {
  let oldest = g[0].arrivalMs;
  for (let i = 1; i < g.length; i++) if (g[i].arrivalMs < oldest) oldest = g[i].arrivalMs;
  out.size = g.length;
  out.oldestArrivalMs = oldest;
  out.earliestDeadlineMs = g[0].deadlineMs;
  return out;
}
