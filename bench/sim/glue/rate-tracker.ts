/**
 * Copied glue (candidate for libs/policy): the scheduler's observed-rate tracker
 * (apps/scheduler/src/rate-tracker.ts), keyed by indices instead of names. Observed rate per function
 * from the monotonic `completed` counters in heartbeats: the increase summed over devices within the
 * window, per second; a counter that goes down (the replica was reloaded) starts afresh.
 */

/** Window over which observed rates are averaged, ms (rate-tracker.ts WINDOW_MS). */
export const RATE_WINDOW_MS = 10_000;

/**
 * The samples of one (function, device) within the window, oldest first: a ring of (atMs, completed)
 * pairs. Every heartbeat adds one and usually drops one, so a ring avoids shifting an array each time.
 */
class Samples {
  private at = new Float64Array(16);
  private completed = new Float64Array(16);
  /** Index of the oldest sample. */
  private head = 0;
  size = 0;

  clear(): void {
    this.head = 0;
    this.size = 0;
  }

  private slot(i: number): number {
    return (this.head + i) & (this.at.length - 1);
  }

  firstAt(): number {
    return this.at[this.head];
  }
  firstCompleted(): number {
    return this.completed[this.head];
  }
  lastAt(): number {
    return this.at[this.slot(this.size - 1)];
  }
  lastCompleted(): number {
    return this.completed[this.slot(this.size - 1)];
  }

  push(atMs: number, completed: number): void {
    if (this.size === this.at.length) this.grow();
    const i = this.slot(this.size++);
    this.at[i] = atMs;
    this.completed[i] = completed;
  }

  dropFirst(): void {
    this.head = this.slot(1);
    this.size--;
  }

  private grow(): void {
    const n = this.at.length * 2;
    const at = new Float64Array(n);
    const completed = new Float64Array(n);
    for (let i = 0; i < this.size; i++) {
      at[i] = this.at[this.slot(i)];
      completed[i] = this.completed[this.slot(i)];
    }
    this.at = at;
    this.completed = completed;
    this.head = 0;
  }
}

export class RateTracker {
  /** [fn][device] → samples within the window (by function first: `rps` walks one function's devices). */
  private readonly samples: (Samples | undefined)[][];
  /**
   * [fn] → the devices that ever reported it, ascending: `rps` visits only those (a function is on a
   * few of hundreds of devices), in device order as before, so the floating-point sum is unchanged.
   */
  private readonly reported: number[][];

  constructor(devices: number, functions: number) {
    this.samples = Array.from({ length: functions }, () => new Array<Samples | undefined>(devices));
    this.reported = Array.from({ length: functions }, () => []);
  }

  observe(device: number, fn: number, completed: number, nowMs: number): void {
    let s = this.samples[fn][device];
    if (!s) {
      this.samples[fn][device] = s = new Samples();
      const list = this.reported[fn];
      let i = list.length;
      while (i > 0 && list[i - 1] > device) i--;
      list.splice(i, 0, device);
    }
    if (s.size > 0 && completed < s.lastCompleted()) s.clear();
    s.push(nowMs, completed);
    // Keep at least two samples; drop those older than the window.
    while (s.size > 2 && s.firstAt() < nowMs - RATE_WINDOW_MS) s.dropFirst();
  }

  rps(fn: number, nowMs: number): number {
    let total = 0;
    const byDevice = this.samples[fn];
    const devices = this.reported[fn];
    for (let k = 0; k < devices.length; k++) {
      const s = byDevice[devices[k]]!;
      if (s.size < 2) continue;
      const t0 = s.firstAt();
      const c0 = s.firstCompleted();
      const t1 = s.lastAt();
      const c1 = s.lastCompleted();
      if (t1 < nowMs - RATE_WINDOW_MS || t1 <= t0) continue;
      total += ((c1 - c0) * 1000) / (t1 - t0);
    }
    return total;
  }
}
