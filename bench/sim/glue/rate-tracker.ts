/**
 * Copied glue (candidate for libs/policy): the scheduler's observed-rate tracker
 * (apps/scheduler/src/rate-tracker.ts), keyed by indices instead of names. Observed rate per function
 * from the monotonic `completed` counters in heartbeats: the increase summed over devices within the
 * window, per second; a counter that goes down (the replica was reloaded) starts afresh.
 */

/** Window over which observed rates are averaged, ms (rate-tracker.ts WINDOW_MS). */
export const RATE_WINDOW_MS = 10_000;

export class RateTracker {
  /** [device][fn] → samples [atMs, completed, atMs, completed, ...] within the window. */
  private readonly samples: (number[] | undefined)[][];

  constructor(devices: number, functions: number) {
    this.samples = Array.from({ length: devices }, () => new Array<number[] | undefined>(functions));
  }

  observe(device: number, fn: number, completed: number, nowMs: number): void {
    let list = this.samples[device][fn];
    if (!list) this.samples[device][fn] = list = [];
    if (list.length && completed < list[list.length - 1]) list.length = 0;
    list.push(nowMs, completed);
    // Keep at least two samples; drop those older than the window.
    let drop = 0;
    while (list.length - drop > 4 && list[drop] < nowMs - RATE_WINDOW_MS) drop += 2;
    if (drop) list.splice(0, drop);
  }

  rps(fn: number, nowMs: number): number {
    let total = 0;
    for (const byFn of this.samples) {
      const list = byFn[fn];
      if (!list || list.length < 4) continue;
      const t0 = list[0];
      const c0 = list[1];
      const t1 = list[list.length - 2];
      const c1 = list[list.length - 1];
      if (t1 < nowMs - RATE_WINDOW_MS || t1 <= t0) continue;
      total += ((c1 - c0) * 1000) / (t1 - t0);
    }
    return total;
  }
}
