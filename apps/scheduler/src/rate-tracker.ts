import { DeviceState } from '@epara/contracts';

/** Window over which observed request rates are averaged, ms. */
const WINDOW_MS = 10_000;

/**
 * Observed request rate per function, from the monotonic `received` counters in heartbeats (demand, not completions: an overloaded function
 * completes less while more arrives): the
 * increase summed over devices within the window, per second. A worker restart resets its counter;
 * a decrease is treated as a fresh start, never as negative load.
 */
export class RateTracker {
  /** device → fn → samples [atMs, received] within the window. */
  private readonly samples = new Map<string, Map<string, [number, number][]>>();

  observe(s: DeviceState, nowMs: number): void {
    let byFn = this.samples.get(s.device);
    if (!byFn) this.samples.set(s.device, (byFn = new Map()));
    for (const f of s.functions) {
      let list = byFn.get(f.fn);
      if (!list) byFn.set(f.fn, (list = []));
      const count = f.received ?? f.completed;
      if (list.length && count < list[list.length - 1][1]) list.length = 0;
      list.push([nowMs, count]);
      while (list.length > 2 && list[0][0] < nowMs - WINDOW_MS) list.shift();
    }
  }

  rps(fn: string, nowMs: number): number {
    let total = 0;
    for (const byFn of this.samples.values()) {
      const list = byFn.get(fn);
      if (!list || list.length < 2) continue;
      const [t0, c0] = list[0];
      const [t1, c1] = list[list.length - 1];
      if (t1 < nowMs - WINDOW_MS || t1 <= t0) continue;
      total += ((c1 - c0) * 1000) / (t1 - t0);
    }
    return total;
  }
}
