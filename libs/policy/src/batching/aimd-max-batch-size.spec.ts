import { aimdMaxBatchSize } from './aimd-max-batch-size';

describe(aimdMaxBatchSize.name, () => {
  it.each([
    [8, 10, 20, {}, 9], // within budget: +1
    [8, 25, 20, {}, 7], // over: × 0.9, floored
    [1, 25, 20, {}, 1], // never below 1
    [16, 10, 20, { max: 16 }, 16], // capped
    [10, 30, 20, { backoff: 0.5 }, 5],
    [10, 10, 20, { increase: 4 }, 14],
  ])('current %p, ran %p ms, budget %p, %o → %p', (current, ms, budget, options, next) =>
    expect(aimdMaxBatchSize(current, ms, budget, options)).toBe(next),
  );
});
