import { PlacementState } from './placement-state';
import { dev, fn, randomCluster, seeded } from '../../test/placement-fixtures';

describe(PlacementState.name, () => {
  it('within SLO: the M/G/1 wait with an exponential tail (P(wait > 0) = ρ, mean wait Σλs² / 2(1 − ρ))', () => {
    // 10 ms runs at 50 rps: ρ = 0.5, m2 = 50 × 0.01² = 0.005 s², conditional mean wait 0.005 / (2 × 0.5 × 0.5) = 10 ms.
    const sut = new PlacementState([fn('a', { execMsBatch1: 10, sloMs: 30, rps: 50 })], [dev('x')], 0.8);
    sut.add(0, 0);
    expect(sut.withinSlo(0, 0, 0.5, 0.005)).toBeCloseTo(1 - 0.5 * Math.exp(-20 / 10));
    expect(sut.goodput()).toBeCloseTo(50 * (1 - 0.5 * Math.exp(-2)));
    expect(sut.withinSlo(0, 0, 0, 0)).toBe(1);
  });

  it('past the headroom every function is served cap / load of its within-SLO rate', () => {
    // 10 ms × 120 rps = 1.2 of a device, cap 0.8: two thirds served.
    const sut = new PlacementState([fn('a', { rps: 120, sloMs: 1e6 })], [dev('x')], 0.8);
    sut.add(0, 0);
    expect(sut.goodput()).toBeCloseTo((120 * 0.8) / 1.2, 1);
  });

  it('a short-SLO function is worth less next to a long-running one, and a device of its own relieves it', () => {
    const short = fn('cnn', { execMsBatch1: 0.5, sloMs: 15, rps: 240, bestThroughputPerMs: 2 });
    const long = fn('ocr', { execMsBatch1: 30, sloMs: 100, rps: 14, bestThroughputPerMs: 1 / 30 });
    const sut = new PlacementState([short, long], [dev('x'), dev('y')], 0.8);
    sut.add(0, 0);
    const alone = sut.goodput();
    sut.add(1, 0);
    const cnnShared = sut.goodput() - sut.rps[1] * sut.withinSlo(1, 0, sut.load[0], sut.moment2[0]);
    expect(cnnShared).toBeLessThan(0.8 * alone); // ρ ≈ 0.54: about a third of cnn's requests wait past 15 ms
    // Moving cnn to y: adding it there gains, then removing it from x gains too.
    expect(sut.gainAdd(0, 1)).toBeGreaterThan(0);
    sut.add(0, 1);
    expect(sut.lossRemove(0, 0)).toBeLessThan(0);
  });

  it('gain of an add equals the goodput change it causes, and loss of a remove likewise', () => {
    const sut = new PlacementState([fn('a', { rps: 200 }), fn('b', { rps: 50 })], [dev('x'), dev('y', { computeScale: 2 })], 0.8);
    sut.add(0, 0);
    sut.add(1, 0);
    const before = sut.goodput();
    const gain = sut.gainAdd(0, 1);
    sut.add(0, 1);
    expect(sut.goodput() - before).toBeCloseTo(gain);
    const loss = sut.lossRemove(0, 0);
    const mid = sut.goodput();
    sut.remove(0, 0);
    expect(mid - sut.goodput()).toBeCloseTo(loss);
  });

  it('counts no goodput where batch 1 misses the SLO', () => {
    const sut = new PlacementState([fn('a', { execMsBatch1: 40, sloMs: 30 })], [dev('slow')], 0.8);
    sut.add(0, 0);
    expect(sut.goodput()).toBe(0);
    expect(sut.load[0]).toBeGreaterThan(0);
  });

  it('incremental bookkeeping matches a recomputation over many adds and removes', () => {
    // Drift here would make placement chase phantom gains and lose stickiness.
    const { functions, devices } = randomCluster(40, 8, 9);
    const sut = new PlacementState(functions, devices, 0.8);
    const r = seeded(3);
    for (let i = 0; i < 5000; i++) {
      const f = Math.floor(r() * sut.nF);
      const d = Math.floor(r() * sut.nD);
      if (sut.isOn(f, d)) sut.remove(f, d);
      else sut.add(f, d);
    }
    expect(sut.goodput()).toBeCloseTo(sut.recomputeGoodput(), 6);
    let memUsed = 0;
    for (let d = 0; d < sut.nD; d++) memUsed += sut.memCap[d] - sut.memFree[d];
    let memPlaced = 0;
    for (let f = 0; f < sut.nF; f++) memPlaced += sut.replicas[f].length * sut.mem[f];
    expect(memUsed).toBeCloseTo(memPlaced, -3);
  });
});
