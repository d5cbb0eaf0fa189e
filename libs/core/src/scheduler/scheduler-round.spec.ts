import { servingPolicy } from '@epara/policy';
import { category, placementKey, profile, record } from '../../test/scheduler-fixtures';
import { RateTracker } from './rate-tracker';
import { RoundDevice, RoundInput, SchedulerRound } from './scheduler-round';

const GB = 1e9;
const DEVICES: RoundDevice[] = [
  { id: 'cpu-0', memoryBytes: 4 * GB, computeScale: 1 },
  { id: 'cpu-1', memoryBytes: 4 * GB, computeScale: 1 },
];

function input(over: Partial<RoundInput>): RoundInput {
  return { functions: [], devices: DEVICES, placements: [], why: 'test', nowMs: 100_000, ...over };
}

describe(SchedulerRound.name, () => {
  it('writes the key of every device that has none or whose work changed, and nothing when the placement already holds', () => {
    const sut = new SchedulerRound(servingPolicy('epara'), new RateTracker());
    const first = sut.run(input({ functions: [record('a')] }));
    expect(first.puts).toHaveLength(2);
    expect(first.puts[0]).toMatchObject({
      device: 'cpu-0',
      assignments: [{ fn: 'a', mode: 'dp', sha256: 'sha-a' }],
      reason: expect.stringMatching(/^test: /),
      at: 100_000,
    });
    expect(first.puts[1]).toMatchObject({ device: 'cpu-1', assignments: [] });
    expect(first.deletes).toEqual([]);

    const again = sut.run(input({ functions: [record('a')], placements: first.puts }));
    expect(again.puts).toEqual([]);
  });

  it('removes the keys of devices that are gone', () => {
    const sut = new SchedulerRound(servingPolicy('epara'), new RateTracker());
    const plan = sut.run(input({ functions: [record('a')], placements: [placementKey('cpu-9', ['a'])] }));
    expect(plan.deletes).toEqual(['cpu-9']);
  });

  it('keeps the key of a device away for its return while each of its assignments is what the round would write', () => {
    const sut = new SchedulerRound(servingPolicy('epara'), new RateTracker());
    const first = sut.run(input({ functions: [record('a')] }));
    const away = { ...first.puts[0], device: 'cpu-9' };
    const kept = sut.run(input({ functions: [record('a')], placements: [...first.puts, away], away: ['cpu-9'] }));
    expect(kept.deletes).toEqual([]);
    // A function changed while the device was away (new model): its old key would load the old one.
    const changed = sut.run(
      input({ functions: [record('a', { model: { ...record('a').model, sha256: 'sha-a2' } })], placements: [away], away: ['cpu-9'] }),
    );
    expect(changed.deletes).toEqual(['cpu-9']);
    // Deleted meanwhile: the same.
    expect(sut.run(input({ functions: [], placements: [away], away: ['cpu-9'] })).deletes).toEqual(['cpu-9']);
  });

  it('places a pipeline stage by stage, each with its own model, and skips a pp function without stages', () => {
    const stage = (index: number) => ({ index, sha256: `stage-${index}`, sizeBytes: 5e6, inputs: [], outputs: [], batchable: true });
    const piped = record('big', {
      category: category({ mode: 'pp', footprint: 'multi', sensitivity: 'frequency' }),
      model: { ...record('big').model, stages: [stage(0), stage(1)] },
    });
    const unsplit = record('uncut', { category: category({ mode: 'pp', footprint: 'multi' }) });
    // Categories as given (a re-categorization would move these small test models out of pp).
    const sut = new SchedulerRound({ ...servingPolicy('epara'), categorize: false }, new RateTracker());
    const plan = sut.run(input({ functions: [piped, unsplit] }));
    const units = plan.puts.flatMap((p) => p.assignments.map((a) => `${a.fn}#${a.stage}:${a.sha256}`)).sort();
    expect(units).toEqual(['big#0:stage-0', 'big#1:stage-1']);
  });

  it('never unserves a function whose batch-1 time outgrows its SLO: without pipeline stages it stays whole and placed', () => {
    // A document detector with a 30 ms run and a 25 ms SLO needs "more than one device", but its model
    // was never cut into stages: a pp category would leave nothing to place (every request a 501).
    const slow = record('doc-det', {
      slo: { latencyMs: 25 },
      category: category({ decidedAt: 0 }),
      profiles: { 'cpu-t1': profile({ '1': 30, '4': 80 }) },
    });
    const sut = new SchedulerRound(servingPolicy('epara'), new RateTracker());
    const plan = sut.run(input({ functions: [slow] }));
    expect(plan.recategorized).toHaveLength(1);
    expect(plan.recategorized[0].record.category).toMatchObject({ footprint: 'multi', mode: 'dp' });
    expect(plan.recategorized[0].record.category.reason).toMatch(/no pipeline stages/);
    expect(plan.puts.flatMap((p) => p.assignments).map((a) => a.fn)).toContain('doc-det');
  });

  it('gives one-request-at-a-time limits when the policy does not batch (naive)', () => {
    const sut = new SchedulerRound(servingPolicy('naive'), new RateTracker());
    const plan = sut.run(input({ functions: [record('a')] }));
    expect(plan.puts.flatMap((p) => p.assignments)).toEqual([expect.objectContaining({ fn: 'a', maxBatchSize: 1, maxQueueDelayMs: 0 })]);
  });

  it('re-categorizes a function whose observed load fills a device, and places it in its new mode in the same round', () => {
    const rates = new RateTracker();
    rates.observe('cpu-0', 'hot', 0, 90_000);
    rates.observe('cpu-0', 'hot', 8_000, 100_000); // 800 req/s of a 2 ms function: 1.6 devices' worth
    const hot = record('hot', { category: category({ decidedAt: 0 }), profiles: { 'cpu-t1': profile({ '1': 2, '8': 6, '32': 16 }) } });
    const sut = new SchedulerRound(servingPolicy('epara'), rates);
    const plan = sut.run(input({ functions: [hot] }));
    expect(plan.recategorized).toHaveLength(1);
    const [change] = plan.recategorized;
    expect(change.from).toBe(hot.category);
    expect(change.record.category).toMatchObject({ sensitivity: 'frequency', mode: 'batch', decidedAt: 100_000 });
    expect(change.record.observed).toEqual({ rps: 800, at: 100_000 });
    expect(plan.puts.flatMap((p) => p.assignments).every((a) => a.fn === 'hot' && a.mode === 'batch')).toBe(true);
  });

  it('never re-categorizes under a baseline that does not categorize', () => {
    const rates = new RateTracker();
    rates.observe('cpu-0', 'hot', 0, 90_000);
    rates.observe('cpu-0', 'hot', 8_000, 100_000);
    const sut = new SchedulerRound(servingPolicy('static-batch'), rates);
    expect(sut.run(input({ functions: [record('hot')] })).recategorized).toEqual([]);
  });

  it('puts every function on every device for the baselines that place everywhere', () => {
    const sut = new SchedulerRound(servingPolicy('adaptive-batch'), new RateTracker());
    const plan = sut.run(input({ functions: [record('a'), record('b')] }));
    expect(plan.puts.map((p) => [p.device, p.assignments.map((a) => a.fn)])).toEqual([
      ['cpu-0', ['a', 'b']],
      ['cpu-1', ['a', 'b']],
    ]);
  });
});
