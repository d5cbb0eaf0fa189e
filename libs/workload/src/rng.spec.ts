import { deriveSeed, Rng } from './rng';

describe(Rng.name, () => {
  it('is uniform in [0, 1) with the expected mean', () => {
    const sut = new Rng(1);
    let sum = 0;
    for (let i = 0; i < 100_000; i++) {
      const u = sut.next();
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
    }
    expect(sum / 100_000).toBeCloseTo(0.5, 2);
  });

  it.each([0.0625, 0.5, 1, 3.7])('gamma(%p) has mean k and variance k', (k) => {
    const sut = new Rng(5);
    const n = 100_000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const x = sut.gamma(k);
      s += x;
      s2 += x * x;
    }
    const mean = s / n;
    expect(Math.abs(mean / k - 1)).toBeLessThan(0.05);
    expect(Math.abs((s2 / n - mean * mean) / k - 1)).toBeLessThan(0.1);
  });

  it('normal has mean 0 and variance 1', () => {
    const sut = new Rng(9);
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < 100_000; i++) {
      const z = sut.normal();
      s += z;
      s2 += z * z;
    }
    expect(Math.abs(s / 100_000)).toBeLessThan(0.02);
    expect(s2 / 100_000).toBeCloseTo(1, 1);
  });
});

describe(deriveSeed.name, () => {
  it('differs by label and is stable', () => {
    expect(deriveSeed(1, 'stream', 0, 0)).toBe(deriveSeed(1, 'stream', 0, 0));
    const seeds = new Set([
      deriveSeed(1, 'stream', 0, 0),
      deriveSeed(1, 'stream', 0, 1),
      deriveSeed(1, 'stream', 1, 0),
      deriveSeed(2, 'stream', 0, 0),
      deriveSeed(1, 'route'),
    ]);
    expect(seeds.size).toBe(5);
  });
});
