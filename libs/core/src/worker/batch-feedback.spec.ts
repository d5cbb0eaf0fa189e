import type { FunctionRecord, PreparedRequest } from '@epara/contracts';
import type { FunctionBatching } from '@epara/policy';
import { BatchFeedback } from './batch-feedback';
import { ServingUnit } from './serving-unit';
import type { WantedUnit } from './types';

const wanted: WantedUnit = {
  unit: 'a',
  modelId: 'sha-a',
  assignment: { mode: 'dp', maxBatchSize: 8, maxQueueDelayMs: 2 },
  record: { name: 'a', slo: { latencyMs: 100 } } as unknown as FunctionRecord,
};

const batchOf = (n: number) => Array.from({ length: n }, () => ({ prepared: { inputs: [], items: 1, groupKey: 'g' } as PreparedRequest }));

function setup(kind: 'adaptive' | 'aimd' | 'static', needsProfile = false) {
  const retuned: FunctionBatching[] = [];
  const observed: [string, number, number][] = [];
  const profiled: PreparedRequest[] = [];
  const sut = new BatchFeedback<WantedUnit, null>(
    kind,
    { retune: (_unit, b) => void retuned.push(b) },
    { observeBatch: (unit, execMs, size) => void observed.push([unit, execMs, size]) },
    {
      profileWith: (_u, sample) => {
        profiled.push(sample);
        return Promise.resolve({ '1': 5, '4': 12 });
      },
    },
  );
  const unit = new ServingUnit<WantedUnit, null>(wanted, {
    model: null,
    memoryBytes: 0,
    loadMs: 0,
    batchable: true,
    execMsByBatch: needsProfile ? undefined : { '1': 10 },
    needsProfile,
  });
  sut.initialize(unit);
  return { sut, unit, retuned, observed, profiled };
}

describe('BatchFeedback', () => {
  it('learns each run and reports it to the metrics', () => {
    const t = setup('adaptive');
    t.sut.afterRun(t.unit, batchOf(2), 2, 14);
    expect(t.unit.estimator.snapshot()['2']).toBe(14);
    expect(t.observed).toEqual([['a', 14, 2]]);
  });

  it('steps the AIMD size after each run and retunes the executor with it', () => {
    const t = setup('aimd');
    expect(t.unit.batching.maxBatchSize).toBe(1);
    t.sut.afterRun(t.unit, batchOf(1), 1, 1);
    expect(t.unit.aimdBatchSize).toBeGreaterThan(1);
    expect(t.retuned.at(-1)?.maxBatchSize).toBe(t.unit.aimdBatchSize);
  });

  it('profiles a unit synthetic inputs could not profile with its first real request, once', async () => {
    const t = setup('adaptive', true);
    t.sut.afterRun(t.unit, batchOf(1), 1, 30);
    t.sut.afterRun(t.unit, batchOf(1), 1, 30);
    await Promise.resolve();
    await Promise.resolve();
    expect(t.profiled).toHaveLength(1);
    expect(t.profiled[0].items).toBe(1);
    expect(t.unit.estimator.snapshot()['4']).toBe(12);
  });

  it('retunes on the periodic call only the units whose estimates changed', () => {
    const t = setup('adaptive');
    t.sut.retuneChanged([t.unit]);
    const tunedAt = t.unit.tunedAtChange;
    for (let i = 0; i < 20; i++) t.unit.estimator.observe(8, 12);
    t.sut.retuneChanged([t.unit]);
    expect(t.unit.tunedAtChange).toBeGreaterThan(tunedAt);
    expect(t.retuned.at(-1)).toEqual(t.unit.batching);
    const n = t.retuned.length;
    t.sut.retuneChanged([t.unit]);
    expect(t.retuned).toHaveLength(n);
  });
});
