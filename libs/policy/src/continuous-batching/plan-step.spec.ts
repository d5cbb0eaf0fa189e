import { isDeadlinePassed, planStep } from './plan-step';
import { ContinuousBatchParams, ContinuousBatchState, RunningSequence, StepPlan, WaitingRequest } from './types';

const NOW = 1000;
const params: ContinuousBatchParams = { maxBatchTokens: 64, maxRunning: 4, maxSequenceTokens: 256 };

/** A running sequence whose next token is due `dueInMs` from NOW. */
function run(id: string, o: Partial<RunningSequence> & { dueInMs?: number } = {}): RunningSequence {
  const { dueInMs = 50, ...rest } = o;
  return {
    id,
    promptTokens: 8,
    generatedTokens: 1,
    maxTokens: 32,
    arrivalMs: 0,
    tpotSloMs: 100,
    lastTokenMs: NOW + dueInMs - 100,
    ...rest,
  };
}

/** A waiting request whose TTFT deadline is `ttftInMs` from NOW. */
function wait(id: string, o: Partial<WaitingRequest> & { ttftInMs?: number } = {}): WaitingRequest {
  const { ttftInMs = 500, ...rest } = o;
  return { id, promptTokens: 8, maxTokens: 32, arrivalMs: NOW - 1, ttftDeadlineMs: NOW + ttftInMs, ...rest };
}

const state = (running: RunningSequence[], waiting: WaitingRequest[]): ContinuousBatchState => ({ running, waiting });
/** The plan as short strings, so table rows read like the decision. */
function summary(p: StepPlan) {
  return {
    leave: p.leave.map((l) => `${l.id}:${l.reason}${l.code ? `:${l.code}` : ''}`),
    join: p.join.map((j) => j.id),
    decode: p.decode.map((d) => d.id),
    hold: p.hold.map((h) => h.id),
  };
}

describe(planStep.name, () => {
  it.each<[string, ContinuousBatchState, Partial<ContinuousBatchParams>, Partial<ReturnType<typeof summary>>]>([
    ['empty: idle', state([], []), {}, { leave: [], join: [], decode: [], hold: [] }],
    ['a waiting request joins an empty batch', state([], [wait('a')]), {}, { join: ['a'], decode: [] }],
    ['a waiting request joins a running batch (iteration level)', state([run('r')], [wait('a')]), {}, { join: ['a'], decode: ['r'] }],
    [
      'request level: no join while the batch runs',
      state([run('r')], [wait('a')]),
      { level: 'request' },
      { join: [], decode: ['r'], hold: ['a'] },
    ],
    [
      'request level: joins when the last one leaves',
      state([run('r', { generatedTokens: 32 })], [wait('a'), wait('b')]),
      { level: 'request' },
      { leave: ['r:length'], join: ['a', 'b'] },
    ],
    ['max tokens reached: leaves', state([run('r', { generatedTokens: 32 })], []), {}, { leave: ['r:length'], decode: [] }],
    ['stop sequence seen: leaves', state([run('r', { stopped: true })], []), {}, { leave: ['r:stop'] }],
    [
      'cancelled running: leaves, also when stopped',
      state([run('r', { cancelled: true, stopped: true })], []),
      {},
      { leave: ['r:cancelled'] },
    ],
    ['cancelled waiting: leaves without a code', state([], [wait('a', { cancelled: true })]), {}, { leave: ['a:cancelled'], join: [] }],
    ['running past its total deadline: leaves', state([run('r', { deadlineMs: NOW })], []), {}, { leave: ['r:deadline'] }],
    [
      'TTFT deadline passed: 504, never admitted',
      state([], [wait('a', { ttftInMs: 0 }), wait('b', { ttftInMs: -5 })]),
      {},
      { leave: ['a:deadline:504', 'b:deadline:504'], join: [] },
    ],
    ['TTFT deadline 1 ms ahead: admitted', state([], [wait('a', { ttftInMs: 1 })]), {}, { join: ['a'] }],
    ['longer than the model: 400', state([], [wait('a', { promptTokens: 250, maxTokens: 7 })]), {}, { leave: ['a:too-long:400'] }],
    ['prompt longer than the step budget: 400', state([], [wait('a', { promptTokens: 65 })]), {}, { leave: ['a:too-long:400'] }],
    [
      'max running: only free slots are filled',
      state([run('r1'), run('r2'), run('r3')], [wait('a'), wait('b')]),
      {},
      { join: ['a'], hold: ['b'] },
    ],
    [
      'max batch tokens: joins stop at the budget',
      state([], [wait('a', { promptTokens: 40 }), wait('b', { promptTokens: 40 })]),
      {},
      { join: ['a'], hold: ['b'] },
    ],
    [
      'decodes count against the budget',
      state([run('r1'), run('r2')], [wait('a', { promptTokens: 63 })]),
      {},
      { decode: ['r1', 'r2'], hold: ['a'] },
    ],
    [
      'a small prompt does not overtake a blocked earlier deadline',
      state(
        [],
        [
          wait('big', { promptTokens: 60, ttftInMs: 100 }),
          wait('small', { promptTokens: 4, ttftInMs: 200 }),
          wait('late', { ttftInMs: 300 }),
        ],
      ),
      { maxBatchTokens: 64 },
      { join: ['big', 'small'] },
    ],
    [
      'blocked head holds everyone behind it',
      state(
        [
          run('r1', { dueInMs: 10 }),
          run('r2', { dueInMs: 10 }),
          run('r3', { dueInMs: 10 }),
          run('r4', { dueInMs: 10 }),
          run('r5', { dueInMs: 10 }),
        ],
        [wait('big', { promptTokens: 60, ttftInMs: 100 }), wait('small', { promptTokens: 2, ttftInMs: 200 })],
      ),
      { maxRunning: 8 },
      { join: [], hold: ['big', 'small'] },
    ],
    [
      'budget below the running count: earliest TPOT deadlines decode',
      state([run('late', { dueInMs: 90 }), run('soon', { dueInMs: 10 }), run('mid', { dueInMs: 40 })], []),
      { maxBatchTokens: 2 },
      { decode: ['soon', 'mid'], hold: ['late'] },
    ],
  ])('%s', (_name, s, over, expected) => {
    expect(summary(planStep(s, { ...params, ...over }, NOW))).toMatchObject(expected);
  });

  it('orders joins and decodes earliest deadline first, TTFT and TPOT on one axis', () => {
    const s = state(
      [run('r-late', { dueInMs: 300 }), run('r-soon', { dueInMs: 20 })],
      [wait('w-late', { ttftInMs: 400 }), wait('w-soon', { ttftInMs: 100 })],
    );
    const p = planStep(s, { ...params, maxBatchTokens: 1 + 8 + 1 }, NOW);
    // EDF: r-soon (20), w-soon (100), r-late (300) fill the 10-token budget; w-late (400) is held.
    expect(summary(p)).toMatchObject({ decode: ['r-soon', 'r-late'], join: ['w-soon'], hold: ['w-late'] });
    expect(p.batchTokens).toBe(10);
    expect(p.join[0].deadlineMs).toBe(NOW + 100);
    expect(p.decode[0].deadlineMs).toBe(NOW + 20);
  });

  it('ties: running before waiting, then arrival, then id', () => {
    const s = state(
      [run('r', { dueInMs: 100 })],
      [
        wait('w2', { ttftInMs: 100, arrivalMs: 5 }),
        wait('w1', { ttftInMs: 100, arrivalMs: 5 }),
        wait('w0', { ttftInMs: 100, arrivalMs: 9 }),
      ],
    );
    const p = planStep(s, { ...params, maxBatchTokens: 1 + 8 + 8, maxRunning: 8 }, NOW);
    expect(summary(p)).toMatchObject({ decode: ['r'], join: ['w1', 'w2'], hold: ['w0'] });
  });

  it('gives reasons an operator can act on', () => {
    const p = planStep(
      state(
        [run('r1'), run('r2', { generatedTokens: 32 })],
        [wait('late', { ttftInMs: -2.5 }), wait('a'), wait('b', { promptTokens: 60 }), wait('c', { ttftInMs: 600 })],
      ),
      { ...params, maxRunning: 4 },
      NOW,
    );
    expect(p.leave).toEqual([
      { id: 'r2', from: 'running', reason: 'length', detail: 'max tokens 32 reached' },
      { id: 'late', from: 'waiting', reason: 'deadline', code: 504, detail: 'TTFT deadline passed 2.5 ms ago, before it could start' },
    ]);
    expect(p.hold).toEqual([
      { id: 'b', from: 'waiting', reason: 'prompt of 60 tokens > 55 left of the step budget 64' },
      { id: 'c', from: 'waiting', reason: 'behind b, which comes first and cannot start' },
    ]);
    expect(p.join.map((j) => j.id)).toEqual(['a']);
    const full = planStep(state([run('r1'), run('r2')], [wait('a')]), { ...params, maxRunning: 2 }, NOW);
    expect(full.hold).toEqual([{ id: 'a', from: 'waiting', reason: 'max running 2 reached' }]);
  });

  it('does not mutate its input', () => {
    const s = state([run('r2'), run('r1', { dueInMs: 1 })], [wait('b'), wait('a', { ttftInMs: 1 })]);
    const copy = JSON.parse(JSON.stringify(s));
    planStep(s, params, NOW);
    expect(s).toEqual(copy);
  });

  it('deadlines fire at equality', () => {
    expect(isDeadlinePassed(NOW, NOW)).toBe(true);
    expect(isDeadlinePassed(NOW + 1, NOW)).toBe(false);
  });
});

/**
 * Fake-clock simulation of a worker applying each plan: a step costs 2 ms + 0.1 ms per batch token.
 * Requests arrive over time; each generates `maxTokens`. Checks the bookkeeping over many rounds.
 */
describe('planStep over many steps (fake clock)', () => {
  interface Arrival {
    id: string;
    atMs: number;
    promptTokens: number;
    maxTokens: number;
  }
  function simulate(arrivals: Arrival[], p: ContinuousBatchParams, ttftSloMs = 10_000, tpotSloMs = 50) {
    let now = 0;
    const pending = [...arrivals].sort((a, b) => a.atMs - b.atMs);
    let waiting: WaitingRequest[] = [];
    let running: RunningSequence[] = [];
    const log: { step: number; atMs: number; join: string[]; leave: string[]; decode: string[]; tokens: number }[] = [];
    const firstTokenMs = new Map<string, number>();
    const ended = new Map<string, string>();
    for (let step = 0; step < 10_000 && (pending.length || waiting.length || running.length); step++) {
      while (pending.length && pending[0].atMs <= now) {
        const a = pending.shift()!;
        waiting.push({
          id: a.id,
          promptTokens: a.promptTokens,
          maxTokens: a.maxTokens,
          arrivalMs: a.atMs,
          ttftDeadlineMs: a.atMs + ttftSloMs,
        });
      }
      const plan = planStep({ running, waiting }, p, now);
      for (const l of plan.leave) {
        expect(ended.has(l.id)).toBe(false); // each request ends exactly once
        ended.set(l.id, l.reason);
      }
      const left = new Set(plan.leave.map((l) => l.id));
      running = running.filter((r) => !left.has(r.id));
      waiting = waiting.filter((w) => !left.has(w.id));
      if (plan.idle) {
        if (!pending.length) continue;
        now = Math.max(now, pending[0].atMs); // nothing to run: jump to the next arrival
        continue;
      }
      expect(plan.batchTokens).toBeLessThanOrEqual(p.maxBatchTokens);
      now += 2 + 0.1 * plan.batchTokens;
      const decoded = new Set(plan.decode.map((d) => d.id));
      running = running.map((r) => (decoded.has(r.id) ? { ...r, generatedTokens: r.generatedTokens + 1, lastTokenMs: now } : r));
      for (const j of plan.join) {
        const w = waiting.find((x) => x.id === j.id)!;
        waiting = waiting.filter((x) => x.id !== j.id);
        running.push({
          id: w.id,
          promptTokens: w.promptTokens,
          maxTokens: w.maxTokens,
          arrivalMs: w.arrivalMs,
          generatedTokens: 1,
          lastTokenMs: now,
          tpotSloMs,
        });
        firstTokenMs.set(w.id, now - w.arrivalMs);
      }
      expect(running.length).toBeLessThanOrEqual(p.maxRunning);
      log.push({
        step,
        atMs: now,
        join: plan.join.map((j) => j.id),
        leave: plan.leave.map((l) => l.id),
        decode: plan.decode.map((d) => d.id),
        tokens: plan.batchTokens,
      });
    }
    const meanTtftMs = [...firstTokenMs.values()].reduce((a, b) => a + b, 0) / firstTokenMs.size;
    return { log, ended, meanTtftMs, endMs: now };
  }

  const arrivals: Arrival[] = Array.from({ length: 12 }, (_, i) => ({
    id: `q${String(i).padStart(2, '0')}`,
    atMs: i * 7,
    promptTokens: 5 + (i % 4) * 6,
    maxTokens: 4 + (i % 5) * 6,
  }));

  it('every request ends once with length, the budget and the running cap hold, joins happen mid-flight', () => {
    const { log, ended } = simulate(arrivals, { maxBatchTokens: 40, maxRunning: 4 });
    expect([...ended.values()]).toEqual(Array(12).fill('length'));
    // some request joined while others were decoding in the same step: continuous batching
    expect(log.some((s) => s.join.length > 0 && s.decode.length > 0)).toBe(true);
  });

  it('request-level batching never joins mid-flight and has a higher mean TTFT', () => {
    const cont = simulate(arrivals, { maxBatchTokens: 40, maxRunning: 4 });
    const req = simulate(arrivals, { maxBatchTokens: 40, maxRunning: 4, level: 'request' });
    expect([...req.ended.values()]).toEqual(Array(12).fill('length'));
    expect(req.log.some((s) => s.join.length > 0 && s.decode.length > 0)).toBe(false);
    expect(cont.meanTtftMs).toBeLessThan(req.meanTtftMs);
    expect(cont.endMs).toBeLessThan(req.endMs);
  });

  it('a tight TTFT SLO under overload answers 504 instead of admitting late requests', () => {
    const burst: Arrival[] = Array.from({ length: 10 }, (_, i) => ({ id: `b${i}`, atMs: 0, promptTokens: 30, maxTokens: 20 }));
    const { ended } = simulate(burst, { maxBatchTokens: 64, maxRunning: 2 }, 30);
    const reasons = [...ended.values()];
    expect(reasons.filter((r) => r === 'length').length).toBeGreaterThanOrEqual(2);
    expect(reasons.filter((r) => r === 'deadline').length).toBeGreaterThan(0);
    expect(reasons.length).toBe(10);
  });
});
