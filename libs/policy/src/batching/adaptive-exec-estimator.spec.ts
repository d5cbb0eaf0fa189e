import { AdaptiveExecEstimator } from './adaptive-exec-estimator';

describe(AdaptiveExecEstimator.name, () => {
  const seed = { '1': 2, '4': 5, '8': 9 };

  it.each([
    [1, 2],
    [4, 5],
    [2, 3], // interpolated between 1 and 4
    [6, 7], // between 4 and 8
    [16, 17], // fitted line a + c·b (here 1 + b) above the range, within [9, 18]
  ])('seeded: execMs(%p) ≈ %p', (size, ms) => {
    const sut = new AdaptiveExecEstimator(seed);
    expect(sut.execMs(size)).toBeCloseTo(ms, 1);
  });

  it.each([
    [{ '2': 3, '4': 5, '8': 9 }, 1, 2], // fitted line below the range, within [1.5, 3]
    [{ '2': 3, '4': 6, '8': 7 }, 1, 3], // line (3.1) above the smallest measured → capped at it
    [{ '4': 8 }, 8, 16], // one point: proportional above
    [{ '4': 8 }, 2, 4], // and below
    [{}, 8, 0], // nothing known: unknownMs
  ])('sparse seed %o: execMs(%p) = %p', (s, size, ms) => expect(new AdaptiveExecEstimator(s).execMs(size)).toBeCloseTo(ms));

  it('converges to measured times (the EWMA forgets the profile)', () => {
    const sut = new AdaptiveExecEstimator(seed, { alpha: 0.2 });
    for (let i = 0; i < 50; i++) sut.observe(8, 20);
    expect(sut.execMs(8)).toBeCloseTo(20, 2);
    // Interpolation follows the measured point.
    expect(sut.execMs(6)).toBeCloseTo(12.5, 1);
  });

  it('learns sizes it was not seeded with', () => {
    const sut = new AdaptiveExecEstimator(seed);
    sut.observe(16, 30);
    expect(sut.execMs(16)).toBe(30);
    expect(sut.execMs(12)).toBeCloseTo(19.5);
    expect(sut.snapshot()).toEqual({ '1': 2, '4': 5, '8': 9, '16': 30 });
  });

  it.each([
    [0, 5],
    [3, -1],
    [2, NaN],
    [1.5, 4],
  ])('ignores bad observations (size %p, %p ms)', (size, ms) => {
    const sut = new AdaptiveExecEstimator(seed);
    sut.observe(size, ms);
    expect(sut.snapshot()).toEqual(seed);
  });

  it('is usable as BatchParams.execMs without binding', () => {
    const { execMs } = new AdaptiveExecEstimator(seed);
    expect(execMs(4)).toBe(5);
  });

  it.each([
    [{ alpha: 0 }, 'AdaptiveExecEstimator: alpha=0, expected a number in (0, 1]'],
    [{ alpha: 1.5 }, 'AdaptiveExecEstimator: alpha=1.5, expected a number in (0, 1]'],
    [{ unknownMs: -1 }, 'AdaptiveExecEstimator: unknownMs=-1, expected a number ≥ 0'],
  ])('rejects %o', (options, message) => expect(() => new AdaptiveExecEstimator(seed, options)).toThrow(message));

  it('relax moves an inflated estimate back towards the fastest time seen, never below it', () => {
    const est = new AdaptiveExecEstimator({ '1': 1, '8': 4 });
    est.observe(1, 101); // ×0.2 → 21
    expect(est.execMs(1)).toBeCloseTo(21, 6);
    est.relax(1);
    expect(est.execMs(1)).toBeCloseTo(21 - 0.05 * 20, 6);
    for (let i = 0; i < 500; i++) est.relax(1);
    expect(est.execMs(1)).toBeCloseTo(1, 3);
    expect(est.execMs(1)).toBeGreaterThanOrEqual(1);
    est.relax(3); // not a measured size: nothing to do
    expect(est.execMs(8)).toBe(4);
    // A faster run lowers the floor relax aims at.
    est.observe(1, 0.5);
    for (let i = 0; i < 500; i++) est.relax(1);
    expect(est.execMs(1)).toBeCloseTo(0.5, 3);
  });
});
