import { arrivalSources, expectedRates, makeArrivalProcess, meanRate } from './arrivals';
import { parseWorkload } from './parse-workload';
import { Rng } from './rng';
import { buildSchedule } from './schedule';
import { ArrivalSpec } from './types';

const N = 100_000;

/** Mean rate (req/s) and CV of the gaps over N arrivals of one seeded process. */
function sample(spec: ArrivalSpec, seed = 42, n = N): { rate: number; cv: number; first: number } {
  const p = makeArrivalProcess(spec, new Rng(seed), 0, Infinity);
  const first = p.next();
  let prev = first;
  let sum = 0;
  let sum2 = 0;
  for (let i = 0; i < n; i++) {
    const t = p.next();
    const g = t - prev;
    prev = t;
    sum += g;
    sum2 += g * g;
  }
  const mean = sum / n;
  return { rate: 1000 / mean, cv: Math.sqrt(Math.max(0, sum2 / n - mean * mean)) / mean, first };
}

describe('arrival processes (100k samples, seeded)', () => {
  it.each<[string, ArrivalSpec, number]>([
    ['poisson', { kind: 'poisson', rate: 200 }, 1],
    ['gamma cv 3', { kind: 'gamma', rate: 240, cv: 3 }, 3],
    ['gamma cv 4', { kind: 'gamma', rate: 30, cv: 4 }, 4],
    ['gamma cv 0.5 (smoother than Poisson)', { kind: 'gamma', rate: 14, cv: 0.5 }, 0.5],
    ['gamma cv 1 is Poisson', { kind: 'gamma', rate: 14, cv: 1 }, 1],
    ['periodic', { kind: 'periodic', periodMs: 32, phaseMs: 'random' }, 0],
  ])('%s: mean rate within 3%, gap CV within 10%', (_name, spec, cv) => {
    const s = sample(spec);
    expect(Math.abs(s.rate / meanRate(spec) - 1)).toBeLessThan(0.03);
    if (cv === 0) expect(s.cv).toBeLessThan(1e-6);
    else expect(Math.abs(s.cv / cv - 1)).toBeLessThan(0.1);
  });

  it.each<[string, ArrivalSpec]>([
    // Short periods so that 100k arrivals span ~10k on/off cycles: the rate converges per cycle, not per arrival.
    ['on/off, periodic while on', { kind: 'onoff', onMeanS: 0.05, offMeanS: 0.1, periodMs: 5 }],
    ['on/off, Poisson while on', { kind: 'onoff', onMeanS: 0.02, offMeanS: 0.04, rate: 300 }],
  ])('%s: mean rate within 3%, burstier than Poisson', (_name, spec) => {
    const s = sample(spec);
    expect(Math.abs(s.rate / meanRate(spec) - 1)).toBeLessThan(0.03);
    expect(s.cv).toBeGreaterThan(1);
  });

  it('step: the rate before, during and after the step within 3%', () => {
    const spec: ArrivalSpec = { kind: 'step', base: 500, factor: 5, atS: 100, untilS: 200 };
    const p = makeArrivalProcess(spec, new Rng(7), 0, 300_000);
    const counts = [0, 0, 0];
    for (let t = p.next(); t < Infinity; t = p.next()) counts[t < 100_000 ? 0 : t < 200_000 ? 1 : 2]++;
    expect(Math.abs(counts[0] / 100 / 500 - 1)).toBeLessThan(0.03);
    expect(Math.abs(counts[1] / 100 / 2500 - 1)).toBeLessThan(0.03);
    expect(Math.abs(counts[2] / 100 / 500 - 1)).toBeLessThan(0.03);
    expect(meanRate(spec, 0, 300)).toBeCloseTo((500 * 200 + 2500 * 100) / 300);
  });

  it('piecewise: each segment at its multiple of the rate, wrapping around, within 4%', () => {
    const spec: ArrivalSpec = { kind: 'piecewise', rate: 400, segmentS: 50, multipliers: [0.5, 1, 2], cv: 2 };
    const p = makeArrivalProcess(spec, new Rng(3), 0, 300_000);
    const counts = new Array<number>(6).fill(0);
    for (let t = p.next(); t < Infinity; t = p.next()) counts[Math.floor(t / 50_000)]++;
    const expected = [0.5, 1, 2, 0.5, 1, 2].map((m) => 400 * m * 50);
    counts.forEach((c, i) => expect(Math.abs(c / expected[i] - 1)).toBeLessThan(0.04));
    expect(meanRate(spec)).toBeCloseTo(400 * (3.5 / 3));
    // A window of one and a half segments: 50 s at ×0.5, 25 s at ×1.
    expect(meanRate(spec, 0, 75)).toBeCloseTo((400 * (0.5 * 50 + 1 * 25)) / 75);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const spec: ArrivalSpec = { kind: 'gamma', rate: 100, cv: 3 };
    expect(sample(spec, 1, 1000)).toEqual(sample(spec, 1, 1000));
    expect(sample(spec, 1, 1000).first).not.toBe(sample(spec, 2, 1000).first);
  });

  it('stops at the end of its window', () => {
    const p = makeArrivalProcess({ kind: 'poisson', rate: 1000 }, new Rng(1), 5000, 6000);
    let n = 0;
    let last = 0;
    for (let t = p.next(); t < Infinity; t = p.next()) {
      expect(t).toBeGreaterThanOrEqual(5000);
      last = t;
      n++;
    }
    expect(last).toBeLessThan(6000);
    expect(n).toBeGreaterThan(900);
  });
});

describe(buildSchedule.name, () => {
  const w = parseWorkload({
    durationS: 20,
    warmupS: 0,
    devices: { count: 1, memoryBytes: 1e9 },
    functions: [
      { name: 'a', profile: 'cnn', sloMs: 15 },
      { name: 'b', profile: 'vad', sloMs: 32 },
    ],
    streams: [
      { function: 'a', arrival: { kind: 'gamma', rate: 50, cv: 2 } },
      { function: 'b', count: 4, arrival: { kind: 'periodic', periodMs: 32, phaseMs: 'random' } },
    ],
  });

  it('merges all sources in send order, the same for the same seed', () => {
    const s = buildSchedule(w);
    for (let i = 1; i < s.sendMs.length; i++) expect(s.sendMs[i]).toBeGreaterThanOrEqual(s.sendMs[i - 1]);
    const perFn = [0, 0];
    for (const f of s.fnIndex) perFn[f]++;
    expect(perFn[1]).toBe(4 * 625); // 4 streams × 20 s / 32 ms
    expect(Math.abs(perFn[0] / 20 / 50 - 1)).toBeLessThan(0.3);
    expect(buildSchedule(w).sendMs).toEqual(s.sendMs);
    expect(buildSchedule(w, 99).sendMs).not.toEqual(s.sendMs);
  });

  it('gives each copy of a stream its own seed', () => {
    const firsts = arrivalSources(w)
      .filter((x) => x.fnIndex === 1)
      .map((x) => x.process.next());
    expect(new Set(firsts).size).toBe(4);
  });

  it('expected rates per function over the measured window', () => {
    expect(expectedRates(w)).toEqual([50, 125]);
  });
});
