import { initialCategory } from './initial-category';

describe('initialCategory', () => {
  const devices = [{ memoryBytes: 2 ** 31, memoryFreeBytes: 2 ** 31 }];
  const f = (kind: 'ocr' | 'tensor') => ({ kind, slo: { latencyMs: 1000 } });

  it('serves an ocr function as its pipeline (pp) under a baseline that does not categorize', () => {
    const naive = { name: 'naive' as const, categorize: false };
    expect(initialCategory(naive, f('ocr'), 16e6, devices, 0)).toMatchObject({
      mode: 'pp',
      reason: expect.stringContaining('runs as the pipeline of its 3 models (pp)'),
    });
    expect(initialCategory(naive, f('tensor'), 16e6, devices, 0).mode).toBe('dp');
  });
});
