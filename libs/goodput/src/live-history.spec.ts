import { histogramDelta, histogramQuantile } from './histogram-quantile';
import { describeFunction, FunctionPoint, FunctionTotals, LiveHistory, quietPoint, Reading, RingBuffer, Sample } from './live-history';

const BOUNDS = [0.01, 0.02, 0.05, Infinity];

/** Totals whose latency histogram holds `perBucket[i]` observations in bucket i (made cumulative here). */
function totals(offered: number, judged: number, good: number, perBucket: number[] = [0, 0, 0, 0]): FunctionTotals {
  let run = 0;
  return { offered, judged, good, latencySeconds: { bounds: BOUNDS, counts: perBucket.map((n) => (run += n)) } };
}

const reading = (at: number, functions: Reading['functions'], devices: Reading['devices'] = []): Reading => ({ at, functions, devices });

describe(RingBuffer.name, () => {
  it('keeps the newest items, oldest first', () => {
    const sut = new RingBuffer<number>(3);
    for (let i = 1; i <= 5; i++) sut.push(i);

    expect(sut.toArray()).toEqual([3, 4, 5]);
    expect(sut.last()).toBe(5);
    expect(sut.length).toBe(3);
  });

  it('refuses a capacity below one', () => {
    expect(() => new RingBuffer(0)).toThrow('a ring buffer holds at least 1 item, not 0');
  });
});

describe(histogramQuantile.name, () => {
  it('interpolates inside the bucket, as Prometheus does', () => {
    // 10 observations ≤ 10 ms, 10 more in (10, 20] ms: the median is at the first bucket's top, p75 halfway up the second.
    const h = { bounds: BOUNDS, counts: [10, 20, 20, 20] };

    expect(histogramQuantile(0.5, h)).toBeCloseTo(0.01);
    expect(histogramQuantile(0.75, h)).toBeCloseTo(0.015);
  });

  it('answers the highest finite bound for a quantile in +Inf, and NaN for an empty histogram', () => {
    expect(histogramQuantile(0.99, { bounds: BOUNDS, counts: [0, 0, 1, 10] })).toBe(0.05);
    expect(histogramQuantile(0.5, { bounds: BOUNDS, counts: [0, 0, 0, 0] })).toBeNaN();
  });
});

describe(histogramDelta.name, () => {
  it('subtracts the earlier read, or takes the later alone after a restart', () => {
    const before = { bounds: BOUNDS, counts: [1, 2, 3, 3] };

    expect(histogramDelta({ bounds: BOUNDS, counts: [2, 4, 6, 7] }, before).counts).toEqual([1, 2, 3, 4]);
    expect(histogramDelta({ bounds: BOUNDS, counts: [0, 1, 1, 1] }, before).counts).toEqual([0, 1, 1, 1]);
  });
});

describe(LiveHistory.name, () => {
  it('takes the first reading as the baseline and turns the next into per-second rates and percentiles', () => {
    const sut = new LiveHistory(10);

    expect(sut.record(reading(1000, { mlp: totals(0, 0, 0) }))).toBeUndefined();
    const s = sut.record(reading(3000, { mlp: totals(100, 80, 60, [60, 20, 0, 0]) }))!;

    expect(s.functions.mlp).toMatchObject({ offeredRps: 50, judgedRps: 40, goodputRps: 30, withinSlo: 0.75 });
    expect(s.functions.mlp.p50Ms).toBeCloseTo(10 * (40 / 60));
    expect(s.functions.mlp.p99Ms).toBeCloseTo(10 + 10 * ((79.2 - 60) / 20));
  });

  it('leaves the percentiles and the share within the SLO empty in a period without judged requests', () => {
    const sut = new LiveHistory(10);
    sut.record(reading(0, { mlp: totals(5, 5, 5, [5, 0, 0, 0]) }));

    const s = sut.record(reading(1000, { mlp: totals(5, 5, 5, [5, 0, 0, 0]) }))!;

    expect(s.functions.mlp).toMatchObject({ offeredRps: 0, withinSlo: null, p50Ms: null, p99Ms: null });
  });

  it('counts a function deployed again (its counters restarted) from zero, never negative', () => {
    const sut = new LiveHistory(10);
    sut.record(reading(0, { mlp: totals(100, 100, 100) }));

    expect(sut.record(reading(1000, { mlp: totals(4, 4, 2) }))!.functions.mlp).toMatchObject({ offeredRps: 4, goodputRps: 2 });
  });

  it('sums queues and worker completions over devices, keeps the largest batch, and reads devices from heartbeats', () => {
    const sut = new LiveHistory(10);
    const unit = (queued: number, completed: number, batchSize: number) => ({ fn: 'vad', queued, completed, batchSize });
    sut.record(
      reading(0, {}, [
        { device: 'cpu-0', utilization: 0.1, queued: 0, units: [unit(0, 100, 8)] },
        { device: 'cpu-1', utilization: 0.1, queued: 0, units: [unit(0, 50, 4)] },
      ]),
    );

    const s = sut.record(
      reading(2000, {}, [
        { device: 'cpu-0', utilization: 0.5, queued: 3, units: [unit(3, 300, 16)] },
        // restarted worker: its completions count from zero
        { device: 'cpu-1', utilization: 0.25, queued: 1, units: [unit(1, 20, 4)] },
      ]),
    )!;

    expect(s.functions.vad).toMatchObject({ queued: 4, batchSize: 16, servedRps: 110, offeredRps: 0, withinSlo: null });
    expect(s.devices).toEqual({ 'cpu-0': { utilization: 0.5, queued: 3, units: 1 }, 'cpu-1': { utilization: 0.25, queued: 1, units: 1 } });
  });

  it('keeps the newest samples and answers those after a time', () => {
    const sut = new LiveHistory(3);
    for (let at = 0; at <= 5000; at += 1000) sut.record(reading(at, {}));

    expect(sut.since(0).samples.map((s) => s.at)).toEqual([3000, 4000, 5000]);
    expect(sut.since(4000).samples.map((s) => s.at)).toEqual([5000]);
    expect(sut.recent(1500).map((s) => s.at)).toEqual([4000, 5000]);
  });

  it('logs each device whose placed units changed, with what came and went', () => {
    const sut = new LiveHistory(3);

    expect(sut.observePlacement(100, [{ device: 'cpu-0', units: ['mlp'], reason: 'deploy' }])).toEqual([
      { at: 100, device: 'cpu-0', added: ['mlp'], removed: [], reason: 'deploy' },
    ]);
    expect(sut.observePlacement(150, [{ device: 'cpu-0', units: ['mlp'], reason: 'retuned batch limits' }])).toEqual([]);
    sut.observePlacement(200, [
      { device: 'cpu-0', units: ['vad'], reason: 'rebalanced' },
      { device: 'cpu-1', units: ['mlp'], reason: 'rebalanced' },
    ]);
    sut.observePlacement(300, []);

    expect(sut.since(150).placementChanges).toEqual([
      { at: 200, device: 'cpu-0', added: ['vad'], removed: ['mlp'], reason: 'rebalanced' },
      { at: 200, device: 'cpu-1', added: ['mlp'], removed: [], reason: 'rebalanced' },
      { at: 300, device: 'cpu-0', added: [], removed: ['vad'], reason: 'its placement was removed' },
      { at: 300, device: 'cpu-1', added: [], removed: ['mlp'], reason: 'its placement was removed' },
    ]);
  });
});

describe(describeFunction.name, () => {
  const point = (p: Partial<FunctionPoint>): FunctionPoint => ({ ...quietPoint(), ...p });
  const samples = (...points: ReturnType<typeof point>[]): Sample[] =>
    points.map((p, i) => ({ at: i, functions: { mlp: p }, devices: {} }));

  it('says goodput against the offered rate in req/s, the share within the SLO in percent, and the p99', () => {
    const s = samples(
      point({ offeredRps: 50, judgedRps: 50, goodputRps: 40, p99Ms: 31.2 }),
      point({ offeredRps: 50.6, judgedRps: 50.6, goodputRps: 44, p99Ms: 12 }),
    );

    expect(describeFunction(s, 'mlp', 50)).toBe('goodput 42.0 req/s of 50.3 offered (83% within the 50 ms SLO), p99 31.2 ms');
  });

  it('says apart the requests forwarded with direct reply, whose outcome only the workers see', () => {
    expect(describeFunction(samples(point({ offeredRps: 30, judgedRps: 10, goodputRps: 10 })), 'mlp', 50)).toBe(
      'goodput 10.0 req/s of 10.0 offered (100% within the 50 ms SLO); 20.0 req/s more forwarded with direct reply (the workers judge their SLO)',
    );
  });

  it('never rounds a share just below all to 100%', () => {
    expect(describeFunction(samples(point({ offeredRps: 1000, judgedRps: 1000, goodputRps: 996 })), 'mlp')).toBe(
      'goodput 996 req/s of 1,000 offered (99.6% within the SLO)',
    );
  });

  it('says when the workers judge the SLO (direct reply), when it is idle and when nothing is known', () => {
    expect(describeFunction(samples(point({ offeredRps: 20, servedRps: 19.5 })), 'mlp', 50)).toBe(
      '20.0 req/s offered here, 19.5 req/s served by the workers (forwarded with direct reply: the workers judge the 50 ms SLO)',
    );
    expect(describeFunction(samples(point({})), 'mlp')).toBe('idle: no requests');
    expect(describeFunction([], 'mlp')).toBe('no data yet');
  });
});
