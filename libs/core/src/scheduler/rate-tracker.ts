import type { DeviceState } from '@epara/contracts';

/** Window over which observed request rates are averaged, ms. */
export const RATE_WINDOW_MS = 10_000;

/**
 * The samples of one (function, device) within the window, oldest first: a ring of (atMs, count)
 * pairs. Every heartbeat adds one and usually drops one, so a ring avoids shifting an array each time
 * (the simulator feeds hundreds of thousands of heartbeats per simulated hour).
 */
class Samples {
  private at = new Float64Array(16);
  private count = new Float64Array(16);
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
  firstCount(): number {
    return this.count[this.head];
  }
  lastAt(): number {
    return this.at[this.slot(this.size - 1)];
  }
  lastCount(): number {
    return this.count[this.slot(this.size - 1)];
  }

  push(atMs: number, count: number): void {
    if (this.size === this.at.length) this.grow();
    const i = this.slot(this.size++);
    this.at[i] = atMs;
    this.count[i] = count;
  }

  dropFirst(): void {
    this.head = this.slot(1);
    this.size--;
  }

  private grow(): void {
    const n = this.at.length * 2;
    const at = new Float64Array(n);
    const count = new Float64Array(n);
    for (let i = 0; i < this.size; i++) {
      at[i] = this.at[this.slot(i)];
      count[i] = this.count[this.slot(i)];
    }
    this.at = at;
    this.count = count;
    this.head = 0;
  }
}

/**
 * Observed request rate per unit (a function, or `<fn>#<stage>`), from the monotonic `received`
 * counters in heartbeats: demand, not completions, since an overloaded function completes less while
 * more arrives. The rate is the increase within the window, per second, summed over devices. A worker
 * restart resets its counter; a decrease is taken as a fresh start, never as negative load. The
 * scheduler and the simulator feed the same class.
 */
export class RateTracker {
  /** unit → device → samples within the window (by unit first: `rps` walks one unit's devices). */
  private readonly samples = new Map<string, Map<string, Samples>>();

  constructor(private readonly windowMs = RATE_WINDOW_MS) {}

  /**
   * One heartbeat: every unit it reports as taking requests (a unit still loading or draining counts
   * nothing of its own, and a draining old model listed beside its ready successor must not read as a
   * counter reset). Older workers without `received` report completions.
   */
  observeHeartbeat(state: DeviceState, nowMs: number): void {
    for (const f of state.functions) if (f.ready) this.observe(state.device, f.fn, f.received ?? f.completed, nowMs);
  }

  /** One unit's `received` counter on one device at `nowMs`. */
  observe(device: string, unit: string, received: number, nowMs: number): void {
    let byDevice = this.samples.get(unit);
    if (!byDevice) this.samples.set(unit, (byDevice = new Map()));
    let s = byDevice.get(device);
    if (!s) byDevice.set(device, (s = new Samples()));
    if (s.size > 0 && received < s.lastCount()) s.clear();
    s.push(nowMs, received);
    // Keep at least two samples; drop those older than the window.
    while (s.size > 2 && s.firstAt() < nowMs - this.windowMs) s.dropFirst();
  }

  /** Requests/s reaching the unit, summed over the devices that reported it within the window; 0 when none. */
  rps(unit: string, nowMs: number): number {
    const byDevice = this.samples.get(unit);
    if (!byDevice) return 0;
    let total = 0;
    for (const s of byDevice.values()) {
      if (s.size < 2) continue;
      const t0 = s.firstAt();
      const t1 = s.lastAt();
      if (t1 < nowMs - this.windowMs || t1 <= t0) continue;
      total += ((s.lastCount() - s.firstCount()) * 1000) / (t1 - t0);
    }
    return total;
  }
}
