import { QueueView } from '@epara/policy';
import { PendingRequest } from './pending-request';

/**
 * The queue of one function on one device, split into groups of equal shape (only those share a
 * batch). Each group is kept in deadline order (earliest first); arrivals of one function mostly come
 * in deadline order, so insertion is an append in the common case.
 */
export class FunctionQueue {
  private readonly groups = new Map<string, PendingRequest[]>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(r: PendingRequest): void {
    let g = this.groups.get(r.prepared.groupKey);
    if (!g) this.groups.set(r.prepared.groupKey, (g = []));
    let i = g.length;
    while (i > 0 && g[i - 1].deadlineMs > r.deadlineMs) i--;
    if (i === g.length) g.push(r);
    else g.splice(i, 0, r);
    this.count++;
  }

  /** One view per non-empty group. */
  *views(): Generator<[string, QueueView]> {
    for (const [key, g] of this.groups) {
      if (g.length === 0) continue;
      let oldest = g[0].arrivalMs;
      for (let i = 1; i < g.length; i++) if (g[i].arrivalMs < oldest) oldest = g[i].arrivalMs;
      yield [key, { size: g.length, oldestArrivalMs: oldest, earliestDeadlineMs: g[0].deadlineMs }];
    }
  }

  /** Requests that run before one with this deadline (earliest deadline first, across groups). */
  countAhead(deadlineMs: number): number {
    let n = 0;
    for (const g of this.groups.values()) {
      // Groups are in deadline order: count until the first later deadline.
      let i = 0;
      while (i < g.length && g[i].deadlineMs <= deadlineMs) i++;
      n += i;
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
    if (g.length === 0) this.groups.delete(groupKey);
    return out;
  }

  /** Removes requests that cannot finish by their deadline even if they ran alone now. */
  dropHopeless(isHopeless: (r: PendingRequest) => boolean): PendingRequest[] {
    const dropped: PendingRequest[] = [];
    for (const [key, g] of this.groups) {
      let k = 0;
      while (k < g.length && isHopeless(g[k])) k++;
      if (k > 0) {
        dropped.push(...g.splice(0, k));
        if (g.length === 0) this.groups.delete(key);
      }
    }
    this.count -= dropped.length;
    return dropped;
  }

  /** Empties the queue (unload, shutdown). */
  drainAll(): PendingRequest[] {
    const all = [...this.groups.values()].flat();
    this.groups.clear();
    this.count = 0;
    return all;
  }
}
