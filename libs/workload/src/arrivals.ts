import { deriveSeed, Rng } from './rng';
import { ArrivalSpec, Workload } from './types';

/**
 * One source of requests: successive send times, ms since the run's start, non-decreasing;
 * Infinity once the source has nothing more before its end. Pull-based, so a simulator holds only
 * the next arrival of each source, and a replay can build the whole schedule in advance.
 */
export interface ArrivalProcess {
  next(): number;
}

/** Renewal processes start this many mean gaps early and drop what falls before the start, so the first gap is not biased. */
const BURN_IN_GAPS = 20;

class PoissonProcess implements ArrivalProcess {
  private t: number;
  private readonly meanGapMs: number;
  constructor(
    rate: number,
    private readonly rng: Rng,
    startMs: number,
    private readonly endMs: number,
  ) {
    this.t = startMs;
    this.meanGapMs = 1000 / rate;
  }
  next(): number {
    this.t += this.rng.exponential(this.meanGapMs);
    return this.t < this.endMs ? this.t : Infinity;
  }
}

/** Gamma gaps: shape 1/cv², scale cv²/rate (AlpaServe `GammaProcess`; vLLM `burstiness` = 1/cv²). */
class GammaProcess implements ArrivalProcess {
  private t: number;
  private first: number | undefined;
  private readonly shape: number;
  private readonly scaleMs: number;
  constructor(
    rate: number,
    cv: number,
    private readonly rng: Rng,
    startMs: number,
    private readonly endMs: number,
  ) {
    this.shape = 1 / (cv * cv);
    this.scaleMs = (cv * cv * 1000) / rate;
    // Burn-in: run the process from well before the start; the first arrival is the first one at or after it.
    this.t = startMs - BURN_IN_GAPS * (1000 / rate);
    for (;;) {
      const g = this.gap();
      if (this.t + g >= startMs) {
        this.first = this.t + g;
        break;
      }
      this.t += g;
    }
  }
  private gap(): number {
    return this.rng.gamma(this.shape) * this.scaleMs;
  }
  next(): number {
    if (this.first !== undefined) {
      this.t = this.first;
      this.first = undefined;
    } else {
      this.t += this.gap();
    }
    return this.t < this.endMs ? this.t : Infinity;
  }
}

class PeriodicProcess implements ArrivalProcess {
  private k = 0;
  private readonly t0: number;
  constructor(
    private readonly periodMs: number,
    phaseMs: number,
    startMs: number,
    private readonly endMs: number,
  ) {
    this.t0 = startMs + (phaseMs % periodMs);
  }
  next(): number {
    const t = this.t0 + this.k++ * this.periodMs;
    return t < this.endMs ? t : Infinity;
  }
}

/** Two-state on/off source (MMPP-like): exponential ON and OFF periods; frames every periodMs (or Poisson at `rate`) while ON. */
class OnOffProcess implements ArrivalProcess {
  /** End of the current (or next) ON period. */
  private onEndMs: number;
  /** Periodic: the next frame; Poisson: the last arrival (or the ON period's start). */
  private t: number;
  constructor(
    private readonly onMeanMs: number,
    private readonly offMeanMs: number,
    private readonly periodMs: number | undefined,
    private readonly rate: number | undefined,
    private readonly rng: Rng,
    startMs: number,
    private readonly endMs: number,
  ) {
    // Start in the stationary state; exponential periods are memoryless, so the residual is a fresh draw.
    const startsOn = rng.next() < onMeanMs / (onMeanMs + offMeanMs);
    if (startsOn) {
      this.onEndMs = startMs + rng.exponential(onMeanMs);
      this.t = periodMs !== undefined ? startMs + rng.next() * periodMs : startMs;
    } else {
      this.t = startMs + rng.exponential(offMeanMs);
      this.onEndMs = this.t + rng.exponential(onMeanMs);
    }
  }
  /** The ON period ended: an OFF period, then the next ON period (its first frame at its start). */
  private nextOnPeriod(): void {
    this.t = this.onEndMs + this.rng.exponential(this.offMeanMs);
    this.onEndMs = this.t + this.rng.exponential(this.onMeanMs);
  }
  next(): number {
    for (;;) {
      if (this.t >= this.endMs) return Infinity;
      if (this.periodMs !== undefined) {
        if (this.t < this.onEndMs) {
          const t = this.t;
          this.t += this.periodMs;
          return t;
        }
      } else {
        const t = this.t + this.rng.exponential(1000 / this.rate!);
        if (t < this.onEndMs) {
          this.t = t;
          return t < this.endMs ? t : Infinity;
        }
      }
      this.nextOnPeriod();
    }
  }
}

/**
 * A source whose rate is constant between boundaries: Poisson restarts exactly at each boundary
 * (memoryless); with `cv` the gaps are Gamma and a gap crossing a boundary is redrawn from the boundary
 * at the new rate (an approximation, fine at boundaries seconds apart). `rateAt` and `boundaryAfter`
 * describe the shape: a load step, or a cyclic (diurnal) profile.
 */
class PiecewiseRateProcess implements ArrivalProcess {
  private t: number;
  private readonly shape: number;
  constructor(
    private readonly rateAt: (tMs: number) => number,
    private readonly boundaryAfter: (tMs: number) => number,
    private readonly cv: number | undefined,
    private readonly rng: Rng,
    startMs: number,
    private readonly endMs: number,
  ) {
    this.shape = cv === undefined ? 1 : 1 / (cv * cv);
    this.t = startMs;
  }
  next(): number {
    for (;;) {
      if (this.t >= this.endMs) return Infinity;
      const rate = this.rateAt(this.t);
      const boundary = this.boundaryAfter(this.t);
      if (rate <= 0) {
        this.t = boundary;
        continue;
      }
      const gap =
        this.cv === undefined ? this.rng.exponential(1000 / rate) : this.rng.gamma(this.shape) * ((this.cv * this.cv * 1000) / rate);
      if (this.t + gap >= boundary) {
        this.t = boundary;
        continue;
      }
      this.t += gap;
      return this.t < this.endMs ? this.t : Infinity;
    }
  }
}

/** `base` requests/s, × `factor` in [atMs, untilMs). */
function stepProcess(spec: Extract<ArrivalSpec, { kind: 'step' }>, rng: Rng, startMs: number, endMs: number): ArrivalProcess {
  const atMs = spec.atS * 1000;
  const untilMs = (spec.untilS ?? Infinity) * 1000;
  return new PiecewiseRateProcess(
    (t) => (t >= atMs && t < untilMs ? spec.base * spec.factor : spec.base),
    (t) => (t < atMs ? atMs : t < untilMs ? untilMs : Infinity),
    spec.cv,
    rng,
    startMs,
    endMs,
  );
}

/** `rate` × the multiplier of the segment `t` falls in, the segments repeating from the run's start. */
function cyclicProcess(spec: Extract<ArrivalSpec, { kind: 'piecewise' }>, rng: Rng, startMs: number, endMs: number): ArrivalProcess {
  const segmentMs = spec.segmentS * 1000;
  const n = spec.multipliers.length;
  return new PiecewiseRateProcess(
    (t) => spec.rate * spec.multipliers[Math.floor(t / segmentMs) % n],
    (t) => (Math.floor(t / segmentMs) + 1) * segmentMs,
    spec.cv,
    rng,
    startMs,
    endMs,
  );
}

/** An arrival process for one copy of a stream, active in [startMs, endMs). */
export function makeArrivalProcess(spec: ArrivalSpec, rng: Rng, startMs: number, endMs: number): ArrivalProcess {
  switch (spec.kind) {
    case 'poisson':
      return new PoissonProcess(spec.rate, rng, startMs, endMs);
    case 'gamma':
      return spec.cv === 1 ? new PoissonProcess(spec.rate, rng, startMs, endMs) : new GammaProcess(spec.rate, spec.cv, rng, startMs, endMs);
    case 'periodic':
      return new PeriodicProcess(spec.periodMs, spec.phaseMs === 'random' ? rng.next() * spec.periodMs : spec.phaseMs, startMs, endMs);
    case 'onoff':
      return new OnOffProcess(spec.onMeanS * 1000, spec.offMeanS * 1000, spec.periodMs, spec.rate, rng, startMs, endMs);
    case 'step':
      return stepProcess(spec, rng, startMs, endMs);
    case 'piecewise':
      return cyclicProcess(spec, rng, startMs, endMs);
  }
}

/** Long-run mean rate of an arrival spec, requests/s (for a step: the time-weighted mean over [startS, endS)). */
export function meanRate(spec: ArrivalSpec, startS = 0, endS = Infinity): number {
  switch (spec.kind) {
    case 'poisson':
    case 'gamma':
      return spec.rate;
    case 'periodic':
      return 1000 / spec.periodMs;
    case 'onoff': {
      const cycleS = spec.onMeanS + spec.offMeanS;
      if (spec.rate !== undefined) return (spec.rate * spec.onMeanS) / cycleS;
      // Frames at 0, p, 2p, ... within an exponential ON period of mean μ: E[count] = 1 / (1 − e^(−p/μ)).
      return 1 / (1 - Math.exp(-spec.periodMs! / 1000 / spec.onMeanS)) / cycleS;
    }
    case 'step': {
      if (!Number.isFinite(endS)) return spec.base * (spec.untilS === undefined ? spec.factor : 1);
      const lo = Math.max(startS, spec.atS);
      const hi = Math.min(endS, spec.untilS ?? Infinity);
      const stepped = Math.max(0, hi - lo);
      return (spec.base * (endS - startS - stepped) + spec.base * spec.factor * stepped) / (endS - startS);
    }
    case 'piecewise': {
      const n = spec.multipliers.length;
      const cycleMean = spec.multipliers.reduce((a, b) => a + b, 0) / n;
      if (!Number.isFinite(endS) || endS <= startS) return spec.rate * cycleMean;
      // Time-weighted over the window: whole segments and the partial ones at its ends.
      let sum = 0;
      for (let seg = Math.floor(startS / spec.segmentS); seg * spec.segmentS < endS; seg++) {
        const lo = Math.max(startS, seg * spec.segmentS);
        const hi = Math.min(endS, (seg + 1) * spec.segmentS);
        sum += spec.multipliers[seg % n] * (hi - lo);
      }
      return (spec.rate * sum) / (endS - startS);
    }
  }
}

/** One source of a workload: the stream it belongs to, which copy, the function it calls. */
export interface ArrivalSource {
  streamIndex: number;
  copy: number;
  fnIndex: number;
  process: ArrivalProcess;
}

/**
 * Every source of a workload, each with its own generator seeded from (workload seed, stream
 * index, copy), so all policies and the live replay see exactly the same send times.
 */
export function arrivalSources(w: Workload, seed = w.seed): ArrivalSource[] {
  const out: ArrivalSource[] = [];
  w.streams.forEach((s, i) => {
    for (let k = 0; k < s.count; k++) {
      const rng = new Rng(deriveSeed(seed, 'stream', i, k));
      out.push({
        streamIndex: i,
        copy: k,
        fnIndex: s.fnIndex,
        process: makeArrivalProcess(s.arrival, rng, s.startS * 1000, s.endS * 1000),
      });
    }
  });
  return out;
}

/** Offered rate per function, requests/s, over the measured window (expected value from the specs). */
export function expectedRates(w: Workload): number[] {
  const rates = new Array<number>(w.functions.length).fill(0);
  const from = w.warmupS;
  const to = w.warmupS + w.durationS;
  for (const s of w.streams) {
    const lo = Math.max(from, s.startS);
    const hi = Math.min(to, s.endS);
    if (hi <= lo) continue;
    rates[s.fnIndex] += (s.count * meanRate(s.arrival, lo, hi) * (hi - lo)) / (to - from);
  }
  return rates;
}
