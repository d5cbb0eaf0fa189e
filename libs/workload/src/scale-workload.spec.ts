import { scaleRates, scaleSlos } from './scale-workload';
import type { Workload, WorkloadStream } from './types';

const stream = (arrival: WorkloadStream['arrival']): WorkloadStream => ({
  function: 'f',
  fnIndex: 0,
  count: 2,
  arrival,
  startS: 0,
  endS: 60,
});

const workload = {
  name: 'w',
  seed: 1,
  durationS: 60,
  warmupS: 5,
  devices: [],
  network: { hopMs: 0.5, path: 'direct' },
  execNoiseCv: 0,
  functions: [{ name: 'f', sloMs: 40 }],
  streams: [
    stream({ kind: 'poisson', rate: 10 }),
    stream({ kind: 'gamma', rate: 4, cv: 3 }),
    stream({ kind: 'periodic', periodMs: 32, phaseMs: 8 }),
    stream({ kind: 'periodic', periodMs: 32, phaseMs: 'random' }),
    stream({ kind: 'onoff', onMeanS: 2, offMeanS: 5, periodMs: 32 }),
    stream({ kind: 'onoff', onMeanS: 2, offMeanS: 5, rate: 50 }),
    stream({ kind: 'step', base: 20, factor: 3, atS: 30 }),
  ],
} as unknown as Workload;

describe(scaleRates.name, () => {
  it('multiplies every stream’s rate and keeps its shape', () => {
    const w = scaleRates(workload, 2);
    expect(w.streams.map((s) => s.arrival)).toEqual([
      { kind: 'poisson', rate: 20 },
      { kind: 'gamma', rate: 8, cv: 3 },
      { kind: 'periodic', periodMs: 16, phaseMs: 4 },
      { kind: 'periodic', periodMs: 16, phaseMs: 'random' },
      { kind: 'onoff', onMeanS: 2, offMeanS: 5, periodMs: 16 },
      { kind: 'onoff', onMeanS: 2, offMeanS: 5, rate: 100 },
      { kind: 'step', base: 40, factor: 3, atS: 30 },
    ]);
    expect(w.streams.every((s) => s.count === 2 && s.endS === 60)).toBe(true);
    expect(w.name).toBe('w×2');
  });

  it('leaves the original alone', () => {
    scaleRates(workload, 3);
    expect(workload.streams[0].arrival).toEqual({ kind: 'poisson', rate: 10 });
  });

  it('refuses a factor that is not a finite number > 0', () => {
    for (const k of [0, -1, NaN, Infinity]) expect(() => scaleRates(workload, k)).toThrow(RangeError);
  });
});

describe(scaleSlos.name, () => {
  it('multiplies every function’s SLO', () => {
    expect(scaleSlos(workload, 0.5).functions[0].sloMs).toBe(20);
    expect(() => scaleSlos(workload, 0)).toThrow(RangeError);
  });
});
