import { PlacementState } from './placement-state';
import { dev, fn, randomCluster, seeded } from '../../test/placement-fixtures';

describe(PlacementState.name, () => {
  it.each([
    // [in-SLO rps routed, work, headroom cap] → served: overload shares capacity proportionally.
    ['underloaded', 40, 0.4, 40],
    ['overloaded', 40, 1.6, 20],
  ])('served: %s', (_name, good, load, served) => {
    const sut = new PlacementState([], [dev('x')], 0.8);
    expect(sut.served(0, good, load)).toBeCloseTo(served);
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
