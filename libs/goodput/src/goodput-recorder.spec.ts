import { GoodputRecorder } from './goodput-recorder';
import { goodputMatrix, totalsTable } from './goodput-tables';
import { markdownTable } from './markdown-table';
import { percentile } from './percentile';
import { RunSummary } from './types';

/**
 * Hand-computed run: window [1000, 3000) ms = 2 s; function a (SLO 10 ms, batch-1 0.5 ms),
 * function b (SLO 100 ms, batch-1 2 ms).
 */
function handRun(label = 'epara'): RunSummary {
  const sut = new GoodputRecorder(
    [
      { name: 'a', sloMs: 10, exec1Ms: 0.5 },
      { name: 'b', sloMs: 100, exec1Ms: 2 },
    ],
    { windowStartMs: 1000, windowEndMs: 3000 },
  );
  sut.ok(0, 500, 505); // before the window: timeline only
  sut.ok(0, 1000, 1005); // 5 ms, good
  sut.ok(0, 1100, 1115); // 15 ms, late
  sut.drop(0, 1200, 504);
  sut.ok(0, 2999, 3008); // 9 ms, good
  sut.ok(0, 3000, 3001); // after the window: timeline only
  sut.ok(1, 1500, 1550); // 50 ms, good
  sut.drop(1, 1600, 429);
  sut.drop(1, 1700, '503');
  sut.drop(1, 1800, 501); // counted as other
  sut.ok(1, 2000, 2100); // 100 ms = SLO: good
  return sut.summarize(label, 'hand');
}

describe(GoodputRecorder.name, () => {
  it('computes the hand-made table', () => {
    const s = handRun();
    expect(s.windowS).toBe(2);
    const [a, b] = s.functions;
    expect(a).toMatchObject({ offered: 4, completed: 3, good: 2, goodput: 1, throughput: 1.5, attainment: 0.5, p50: 9, p95: 15, p99: 15 });
    expect(a.mean).toBeCloseTo(29 / 3);
    expect(a.drops).toEqual({ '504': 1, '429': 0, '503': 0, other: 0 });
    expect(b).toMatchObject({ offered: 5, completed: 2, good: 2, goodput: 1, throughput: 1, attainment: 0.4, p50: 50, p95: 100, p99: 100 });
    expect(b.drops).toEqual({ '504': 0, '429': 1, '503': 1, other: 1 });
    expect(s.total).toMatchObject({ offered: 9, completed: 5, good: 4, goodput: 2, p50: 15, p99: 100, offeredRps: 4.5 });
    expect(s.total.attainment).toBeCloseTo(4 / 9);
    expect(s.computeWeightedGoodput).toBe((2 * 0.5 + 2 * 2) / 2);
    // Good replies by reply time, 1 s buckets from t = 0: 505 | 1005 1550 | 2100 | 3008 3001.
    expect(s.timeline).toEqual({ bucketMs: 1000, goodPerS: [1, 2, 1, 2] });
  });

  it("counts a reply that met the latency SLO but missed another (a generation's TPOT) as completed, not good", () => {
    const sut = new GoodputRecorder([{ name: 'gpt', sloMs: 250 }], { windowStartMs: 0, windowEndMs: 1000 });
    sut.ok(0, 0, 100); // first token at 100 ms, TPOT within its SLO
    sut.ok(0, 10, 110, false); // first token in time, TPOT over its SLO
    expect(sut.summarize('x', 'w').functions[0]).toMatchObject({ offered: 2, completed: 2, good: 1, p50: 100 });
  });

  it('has NaN attainment and percentiles when nothing was offered', () => {
    const s = new GoodputRecorder([{ name: 'a', sloMs: 1 }], { windowStartMs: 0, windowEndMs: 1000 }).summarize('x', 'w');
    expect(s.functions[0].attainment).toBeNaN();
    expect(s.functions[0].p50).toBeNaN();
    expect(s.functions[0].goodput).toBe(0);
  });

  it('rejects an empty window', () => {
    expect(() => new GoodputRecorder([], { windowStartMs: 5, windowEndMs: 5 })).toThrow(
      'GoodputRecorder: windowEndMs=5 must be > windowStartMs=5',
    );
  });
});

describe(percentile.name, () => {
  it.each([
    [[1, 2, 3, 4], 50, 2],
    [[1, 2, 3, 4], 75, 3],
    [[1, 2, 3, 4], 100, 4],
    [[1, 2, 3, 4], 0, 1],
    [[7], 99, 7],
  ])('%p p%p = %p (nearest rank)', (v, p, out) => expect(percentile(v, p)).toBe(out));
  it('is NaN for no values', () => expect(percentile([], 50)).toBeNaN());
});

describe('tables', () => {
  it('totals: one row per run with the ratio to the reference', () => {
    const epara = handRun('epara');
    const naive = { ...handRun('naive'), total: { ...epara.total, goodput: 1.6 } };
    expect(totalsTable([epara, naive])).toBe(
      [
        '| policy | offered/s | goodput/s | attain | thru/s | p50 ms | p99 ms | 504 | 429 | 503 | other | cw-goodput ms/s | epara ÷ this |',
        '|:-------|----------:|----------:|-------:|-------:|-------:|-------:|----:|----:|----:|------:|----------------:|-------------:|',
        '| epara  |       4.5 |       2.0 |  44.4% |    2.5 |   15.0 |    100 |   1 |   1 |   1 |     1 |             2.5 |        1.00× |',
        '| naive  |       4.5 |       1.6 |  44.4% |    2.5 |   15.0 |    100 |   1 |   1 |   1 |     1 |             2.5 |        1.25× |',
      ].join('\n'),
    );
  });

  it('goodput matrix: functions by runs', () => {
    expect(goodputMatrix([handRun('epara')]).split('\n')[2]).toBe('| a        |   10.0 |       2.0 |                1.0 (50%) |');
  });

  it('markdown table pads and aligns numbers right', () => {
    expect(
      markdownTable(
        ['name', 'n'],
        [
          ['x', 1],
          ['yy', 10],
        ],
      ),
    ).toBe('| name |   n |\n|:-----|----:|\n| x    |   1 |\n| yy   |  10 |');
  });
});
