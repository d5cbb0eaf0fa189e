import { ScalePoint, searchCapacity } from './capacity-search';

/** A workload whose attainment is 1 up to `knee` and falls linearly to 0 at 2 × knee. */
const kneeAt =
  (knee: number) =>
  (scale: number): ScalePoint => {
    const attainment = scale <= knee ? 1 : Math.max(0, 1 - (scale - knee) / knee);
    return { scale, attainment, minFunctionAttainment: attainment * 0.8, minFunction: 'f' };
  };

describe(searchCapacity.name, () => {
  it('brackets the highest scale that meets the target within the tolerance, growing from 1', () => {
    const r = searchCapacity(kneeAt(5), 0.99, { relativeTolerance: 0.02 });
    // 99% holds up to 5 × 1.01 = 5.05.
    expect(r.best!.scale).toBeLessThanOrEqual(5.05);
    expect(r.best!.scale).toBeGreaterThan(5.05 / 1.02);
    expect(r.firstMiss!.scale).toBeGreaterThan(5.05);
    expect(r.best!.attainment).toBeGreaterThanOrEqual(0.99);
    expect(r.best!.minFunctionAttainment).toBeCloseTo(r.best!.attainment * 0.8, 9);
  });

  it('shrinks from 1 when the workload as written already misses the target', () => {
    const r = searchCapacity(kneeAt(0.3), 0.9);
    expect(r.best!.scale).toBeLessThanOrEqual(0.33);
    expect(r.firstMiss!.scale).toBeGreaterThan(0.33);
    expect(r.points[0].scale).toBe(1);
  });

  it('a lower target allows a higher scale', () => {
    const strict = searchCapacity(kneeAt(2), 0.99);
    const loose = searchCapacity(kneeAt(2), 0.9);
    expect(loose.best!.scale).toBeGreaterThan(strict.best!.scale);
  });

  it('says when the target holds even at the largest scale, or misses even at the smallest', () => {
    const always = searchCapacity(() => ({ scale: 1, attainment: 1, minFunctionAttainment: 1, minFunction: 'f' }), 0.99, { maxScale: 8 });
    expect(always.firstMiss).toBeUndefined();
    const never = searchCapacity((scale) => ({ scale, attainment: 0.5, minFunctionAttainment: 0.5, minFunction: 'f' }), 0.99, {
      minScale: 0.25,
    });
    expect(never.best).toBeUndefined();
    expect(never.points.map((p) => p.scale)).toEqual([1, 0.5, 0.25]);
  });

  it('runs each scale once', () => {
    const seen: number[] = [];
    searchCapacity((s) => (seen.push(s), kneeAt(3)(s)), 0.99);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('refuses a target outside (0, 1]', () => {
    expect(() => searchCapacity(kneeAt(1), 0)).toThrow(RangeError);
    expect(() => searchCapacity(kneeAt(1), 1.5)).toThrow(RangeError);
  });
});
