import { RATE_WINDOW_MS, RateTracker } from './rate-tracker';

describe(RateTracker.name, () => {
  it('sums the per-device rate of a function over the window', () => {
    const t = new RateTracker(3, 2);
    for (let s = 0; s <= 30; s++) {
      t.observe(2, 0, 10 * s, s * 1000); // 10/s
      t.observe(0, 0, 5 * s, s * 1000 + 500); // 5/s
      t.observe(1, 1, 100 * s, s * 1000); // another function
    }
    expect(t.rps(0, 30_500)).toBeCloseTo(15, 9);
    expect(t.rps(1, 30_500)).toBeCloseTo(100, 9);
  });

  it('averages over the last window only (more samples than the ring starts with)', () => {
    const t = new RateTracker(1, 1);
    let completed = 0;
    for (let s = 0; s <= 200; s++) {
      completed += s <= 50 ? 1 : 4; // 1 per 100 ms, then 4 from t = 5 s
      t.observe(0, 0, completed, s * 100); // every 100 ms: 101 samples in a window
    }
    // At 20 s the window starts at 10 s, where the rate is 4 per 100 ms.
    expect(t.rps(0, 20_000)).toBeCloseTo(40, 9);
  });

  it('starts afresh when a counter goes down (replica reloaded), and needs two samples', () => {
    const t = new RateTracker(1, 1);
    t.observe(0, 0, 500, 0);
    t.observe(0, 0, 600, 1000);
    t.observe(0, 0, 3, 2000); // reloaded
    expect(t.rps(0, 2000)).toBe(0);
    t.observe(0, 0, 13, 3000);
    expect(t.rps(0, 3000)).toBeCloseTo(10, 9);
  });

  it('ignores a device whose last report is older than the window', () => {
    const t = new RateTracker(2, 1);
    t.observe(0, 0, 0, 0);
    t.observe(0, 0, 10, 1000);
    expect(t.rps(0, 1000)).toBeCloseTo(10, 9);
    expect(t.rps(0, 1000 + RATE_WINDOW_MS + 1)).toBe(0);
  });
});
