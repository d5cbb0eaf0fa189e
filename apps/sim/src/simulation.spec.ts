import { join } from 'node:path';
import { POLICY_NAMES } from '@epara/policy';
import { RunSummary } from '@epara/goodput';
import { loadWorkload, parseWorkload } from '@epara/workload';
import { simulate } from './simulation';

const bursty = loadWorkload(join(__dirname, '..', '..', '..', 'bench', 'workloads', 'mixed-bursty.json'));
/** The short run of the goodput-benchmark issue: 2 devices, 20 simulated seconds (5 s warm-up + 15 s measured). */
const SHORT = { durationS: 15, warmupS: 5, devices: 2 };

/** A summary without the run's wall and CPU times (the only things allowed to differ between equal runs). */
function comparable(s: RunSummary): unknown {
  const { wallMs: _w, cpuMs: _c, placementMs: _p, ...meta } = s.meta as Record<string, unknown>;
  return { ...s, meta };
}

describe('simulator, short runs', () => {
  const runs = new Map(POLICY_NAMES.map((p) => [p, simulate(bursty, { policy: p, ...SHORT })]));

  it.each(POLICY_NAMES)('%s completes and accounts for every request', (policy) => {
    const { summary, stats } = runs.get(policy)!;
    expect(stats.simulatedS).toBeGreaterThanOrEqual(20);
    expect(summary.total.goodput).toBeGreaterThan(0);
    for (const f of summary.functions) {
      // Every offered request ends once: a reply (in SLO or late) or a drop.
      const dropped = f.drops['504'] + f.drops['429'] + f.drops['503'] + f.drops.other;
      expect(f.completed + dropped).toBe(f.offered);
    }
  });

  it('replays the same arrivals under every policy', () => {
    const offered = [...runs.values()].map((r) => r.summary.functions.map((f) => f.offered));
    for (const o of offered) expect(o).toEqual(offered[0]);
  });

  it('is deterministic for a seed', () => {
    const again = simulate(bursty, { policy: 'epara', ...SHORT });
    expect(comparable(again.summary)).toEqual(comparable(runs.get('epara')!.summary));
    const other = simulate(bursty, { policy: 'epara', ...SHORT, seed: 2 });
    expect(other.summary.total.offered).not.toBe(again.summary.total.offered);
  });
});

describe('epara vs naive where functions interfere', () => {
  // A 15 ms-SLO CNN and 30 ms OCR runs on 2 devices: whichever device runs OCR delays the CNN past its
  // SLO about as often as it is busy. Placement that counts the wait behind other functions' runs keeps
  // the CNN off that device; naive places by load alone and mixes them.
  const mixed = parseWorkload({
    durationS: 60,
    warmupS: 20,
    devices: { count: 2, memoryBytes: '1GiB' },
    functions: [
      { name: 'cnn', profile: 'cnn', sloMs: 15 },
      { name: 'cnn-b', profile: 'cnn', sloMs: 15 },
      { name: 'ocr', profile: 'ocr_det', sloMs: 100 },
    ],
    streams: [
      { function: 'cnn', arrival: { kind: 'poisson', rate: 200 } },
      { function: 'cnn-b', arrival: { kind: 'poisson', rate: 100 } },
      { function: 'ocr', arrival: { kind: 'poisson', rate: 12 } },
    ],
  });

  it('epara keeps the short-SLO functions away from the long runs and serves more within SLO', () => {
    const epara = simulate(mixed, { policy: 'epara' });
    const naive = simulate(mixed, { policy: 'naive' });
    const cnnGood = (s: RunSummary) => s.functions.filter((f) => f.name.startsWith('cnn')).reduce((a, f) => a + f.good, 0);
    expect(epara.summary.total.goodput).toBeGreaterThan(naive.summary.total.goodput);
    expect(cnnGood(epara.summary)).toBeGreaterThan(cnnGood(naive.summary));
  });
});

describe('simulator behaviour', () => {
  const small = (over: Record<string, unknown> = {}) =>
    parseWorkload({
      durationS: 20,
      warmupS: 5,
      devices: { count: 2, memoryBytes: '1GiB' },
      functions: [{ name: 'cnn', profile: 'cnn', sloMs: 15 }],
      streams: [{ function: 'cnn', arrival: { kind: 'poisson', rate: 100 } }],
      ...over,
    });

  it('an idle platform meets every SLO with latency = hops + batch-1 time', () => {
    const { summary } = simulate(small(), { policy: 'naive' });
    const f = summary.functions[0];
    expect(f.attainment).toBe(1);
    // 1.5 hops of 0.66 ms plus 0.51 ms, unless a request waited behind another.
    expect(f.p50).toBeCloseTo(1.5 * 0.66 + 0.51, 6);
  });

  it('requests before the first model load finish get 503 (excluded here by the warm-up)', () => {
    const { summary } = simulate(small({ warmupS: 0 }), { policy: 'naive' });
    expect(summary.functions[0].drops['503']).toBeGreaterThan(0);
  });

  it('re-categorizes a function whose load crosses the frequency threshold (load step)', () => {
    const w = small({
      durationS: 40,
      streams: [{ function: 'cnn', arrival: { kind: 'step', base: 200, factor: 8, atS: 15 } }],
    });
    const { stats } = simulate(w, { policy: 'epara' });
    expect(stats.recategorizations.map((r) => r.to)).toContain('frequency×single→batch');
    expect(stats.finalPlacement.cnn.mode).toBe('batch');
  });

  it('baselines never re-categorize; static and adaptive batching place everywhere', () => {
    for (const policy of ['static-batch', 'adaptive-batch'] as const) {
      const { stats } = simulate(small(), { policy });
      expect(stats.recategorizations).toEqual([]);
      expect(stats.finalPlacement.cnn).toEqual({ mode: 'dp', replicas: 2 });
    }
    expect(simulate(small(), { policy: 'naive' }).stats.finalPlacement.cnn.replicas).toBe(1);
  });

  it('a device with computeScale 2 runs twice as fast', () => {
    const fast = simulate(small({ devices: { count: 1, memoryBytes: '1GiB', computeScale: 2 } }), { policy: 'naive' });
    expect(fast.summary.functions[0].p50).toBeCloseTo(1.5 * 0.66 + 0.51 / 2, 6);
  });

  it('the relay path costs two hops', () => {
    const relay = simulate(small({ network: { path: 'relay' } }), { policy: 'naive' });
    expect(relay.summary.functions[0].p50).toBeCloseTo(2 * 0.66 + 0.51, 6);
  });

  it('a measured path delay replaces the hops (half before the worker), and measured run spread the profile time', () => {
    const base = small();
    const delayed = { ...base, functions: base.functions.map((f) => ({ ...f, pathDelayMs: [4] })) };
    // 4 ms outside the worker in all (2 there, 2 back) and the 0.51 ms run.
    expect(simulate(delayed, { policy: 'naive' }).summary.functions[0].p50).toBeCloseTo(4 + 0.51, 6);
    const late = { ...base, functions: base.functions.map((f) => ({ ...f, pathDelayMs: [3 * f.sloMs] })) };
    const lateRun = simulate(late, { policy: 'naive' }).summary.functions[0];
    expect(lateRun.completed).toBe(0); // every one reaches the worker after its deadline
    expect(lateRun.drops['504']).toBe(lateRun.offered);
    const slower = { ...base, functions: base.functions.map((f) => ({ ...f, execFactorSamples: [2] })) };
    expect(simulate(slower, { policy: 'naive' }).summary.functions[0].p50).toBeCloseTo(1.5 * 0.66 + 2 * 0.51, 6);
  });
});
