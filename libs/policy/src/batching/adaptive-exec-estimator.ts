import { parseExecTable } from '../util/exec-table';
import { ExecEstimatorOptions } from './types';

/** Step of `relax` per refused request: some tens of refusals bring an inflated estimate most of the way back. */
const RELAX_RATE = 0.05;

/**
 * Execution time per batch size, adapting to measured runs: an EWMA per measured size, seeded from
 * the profile. Sizes never measured are estimated linearly: between two measured sizes by
 * interpolation, outside them by a least-squares line execMs(b) ≈ a + c·b over all measured points,
 * kept within the bounds that batching implies (per-item time does not grow with the batch).
 *
 * Pure state: no clock, no I/O. Not safe to share across threads (there are none in Node).
 */
export class AdaptiveExecEstimator {
  private readonly alpha: number;
  private readonly unknownMs: number;
  /** Measured sizes, ascending, and their EWMA times, ms. */
  private readonly sizes: number[];
  private readonly ms: number[];
  /** Per measured size, the fastest time seen (seed included): where `relax` moves an estimate back to. */
  private readonly fastestMs: number[];
  private fitA = 0;
  private fitC = 0;
  private fitStale = true;

  constructor(seed?: Readonly<Record<string, number>>, options: ExecEstimatorOptions = {}) {
    const alpha = options.alpha ?? 0.2;
    if (!(alpha > 0 && alpha <= 1)) throw new Error(`AdaptiveExecEstimator: alpha=${alpha}, expected a number in (0, 1]`);
    const unknownMs = options.unknownMs ?? 0;
    if (!(unknownMs >= 0)) throw new Error(`AdaptiveExecEstimator: unknownMs=${unknownMs}, expected a number ≥ 0`);
    this.alpha = alpha;
    this.unknownMs = unknownMs;
    const table = parseExecTable(seed);
    // Copies: the parsed table is shared (cached per profile) and these arrays learn in place.
    this.sizes = [...table.sizes];
    this.ms = [...table.ms];
    this.fastestMs = [...table.ms];
  }

  /** Records one run of `size` requests that took `ms`. Ignores sizes < 1 and times that are not finite ≥ 0. */
  observe(size: number, ms: number): void {
    if (!(size >= 1) || !Number.isInteger(size) || !(ms >= 0) || !Number.isFinite(ms)) return;
    const i = this.indexOf(size);
    if (i >= 0) {
      this.ms[i] += this.alpha * (ms - this.ms[i]);
      if (ms < this.fastestMs[i]) this.fastestMs[i] = ms;
    } else {
      let at = 0;
      while (at < this.sizes.length && this.sizes[at] < size) at++;
      this.sizes.splice(at, 0, size);
      this.ms.splice(at, 0, ms);
      this.fastestMs.splice(at, 0, ms);
    }
    this.fitStale = true;
  }

  /**
   * Moves the estimate of `size` a step (`rate`) back towards the fastest time seen for it. The caller
   * refused or dropped a request because this estimate said it could not finish in time: refused
   * requests never run, so without this one slow run (a CPU stall) can raise the estimate past a tight
   * SLO and every later request is refused on it, for ever — seen live as a 246 req/s function answering
   * nothing for a whole run. Refusals now pull the estimate down until requests run again and fresh
   * measurements decide; a device that really got slower pushes it back up with its next runs.
   */
  relax(size: number, rate = RELAX_RATE): void {
    const i = this.indexOf(size);
    if (i < 0 || this.ms[i] <= this.fastestMs[i]) return;
    this.ms[i] -= rate * (this.ms[i] - this.fastestMs[i]);
    this.fitStale = true;
  }

  /** Estimated time of one run of `size` requests, ms. Bound, so it can be passed as `BatchParams.execMs`. */
  readonly execMs = (size: number): number => {
    const n = this.sizes.length;
    if (n === 0) return this.unknownMs;
    const sizes = this.sizes;
    const ms = this.ms;
    if (size <= sizes[0]) {
      if (size === sizes[0]) return ms[0];
      // Below the range: not more than the smallest measured, not less than proportional.
      const floor = (ms[0] * size) / sizes[0];
      if (n === 1) return floor;
      const line = this.line(size);
      return line > ms[0] ? ms[0] : line < floor ? floor : line;
    }
    const last = n - 1;
    if (size >= sizes[last]) {
      if (size === sizes[last]) return ms[last];
      // Above the range: not less than the largest measured, not more than proportional.
      const ceil = (ms[last] * size) / sizes[last];
      if (n === 1) return ceil;
      const line = this.line(size);
      return line < ms[last] ? ms[last] : line > ceil ? ceil : line;
    }
    let i = 1;
    while (sizes[i] < size) i++;
    if (sizes[i] === size) return ms[i];
    const t = (size - sizes[i - 1]) / (sizes[i] - sizes[i - 1]);
    return ms[i - 1] + t * (ms[i] - ms[i - 1]);
  };

  /** Current estimates of the measured sizes, in the profile's `execMsByBatch` shape. */
  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (let i = 0; i < this.sizes.length; i++) out[String(this.sizes[i])] = this.ms[i];
    return out;
  }

  private indexOf(size: number): number {
    for (let i = 0; i < this.sizes.length; i++) if (this.sizes[i] === size) return i;
    return -1;
  }

  /** Least-squares line through the measured points (n ≥ 2), refitted only after a change. */
  private line(size: number): number {
    if (this.fitStale) {
      const n = this.sizes.length;
      let sb = 0;
      let st = 0;
      let sbb = 0;
      let sbt = 0;
      for (let i = 0; i < n; i++) {
        const b = this.sizes[i];
        const t = this.ms[i];
        sb += b;
        st += t;
        sbb += b * b;
        sbt += b * t;
      }
      const den = n * sbb - sb * sb;
      const c = den > 0 ? (n * sbt - sb * st) / den : 0;
      this.fitC = c > 0 ? c : 0;
      this.fitA = (st - this.fitC * sb) / n;
      this.fitStale = false;
    }
    return this.fitA + this.fitC * size;
  }
}
