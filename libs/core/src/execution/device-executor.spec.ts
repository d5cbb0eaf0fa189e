import { EparaError } from '@epara/contracts';
import { AdaptiveExecEstimator } from '@epara/policy';
import { DeviceExecutor, FunctionBatching } from './device-executor';
import { PendingRequest } from './pending-request';

/** A fake clock driven together with jest's fake timers, so waits and deadlines agree. */
function fakeClock() {
  let now = 1_000_000;
  return {
    clock: { nowMs: () => now },
    advance(ms: number) {
      now += ms;
      jest.advanceTimersByTime(ms);
    },
    get now() {
      return now;
    },
  };
}

/** Lets the executor's `.finally` (batch done → next pump) run. */
const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

interface Outcome {
  id: string;
  code?: number;
}

function request(fn: string, id: string, deadlineMs: number, outcomes: Outcome[], arrivalMs: number, group = 'g'): PendingRequest {
  return {
    fn,
    requestId: id,
    arrivalMs,
    deadlineMs,
    prepared: { inputs: [], items: 1, groupKey: group },
    settle: (o) => outcomes.push({ id, code: 'error' in o ? o.error.code : undefined }),
  };
}

describe(DeviceExecutor.name, () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function setup(batching: FunctionBatching, execMs = 2, concurrency = 1, maxQueue = 100) {
    const t = fakeClock();
    const sut = new DeviceExecutor(concurrency, maxQueue, t.clock);
    const batches: { fn: string; ids: string[]; release: () => void }[] = [];
    const outcomes: Outcome[] = [];
    const register = (fn: string, b = batching, ms = execMs) =>
      sut.register(fn, {
        batching: b,
        estimator: new AdaptiveExecEstimator({ '1': ms, '8': ms * 3 }),
        run: (batch) =>
          new Promise<void>((resolve) => {
            batches.push({
              fn,
              ids: batch.map((r) => r.requestId),
              release: () => {
                for (const r of batch)
                  r.settle({ result: { type: 'document', body: {} }, served: { batchSize: batch.length, queueMs: 0, execMs: ms } });
                resolve();
              },
            });
          }),
      });
    return { t, sut, batches, outcomes, register };
  }

  it('says when a function is idle: at once when nothing is queued or running, else after its last batch', async () => {
    const { t, sut, batches, outcomes, register } = setup({ maxBatchSize: 2, preferredBatchSize: 2, maxQueueDelayMs: 0 });
    register('f');
    const idle: string[] = [];
    sut.whenIdle('f', () => idle.push('empty'));
    sut.whenIdle('unknown', () => idle.push('unknown'));
    expect(idle).toEqual(['empty', 'unknown']);
    for (let i = 0; i < 3; i++) sut.enqueue(request('f', `r${i}`, t.now + 1000, outcomes, t.now));
    sut.whenIdle('f', () => idle.push('drained'));
    const cancel = sut.whenIdle('f', () => idle.push('cancelled'));
    cancel();
    batches[0].release();
    await flush();
    expect(idle).toHaveLength(2);
    batches[1].release();
    await flush();
    expect(idle).toEqual(['empty', 'unknown', 'drained']);
  });

  it('runs a batch as soon as the preferred size is queued', () => {
    const { t, sut, batches, outcomes, register } = setup({ maxBatchSize: 8, preferredBatchSize: 4, maxQueueDelayMs: 50 });
    register('f');
    for (let i = 0; i < 4; i++) sut.enqueue(request('f', `r${i}`, t.now + 1000, outcomes, t.now));
    expect(batches.map((b) => b.ids)).toEqual([['r0', 'r1', 'r2', 'r3']]);
  });

  it('runs a partial batch once the oldest request has waited the max queue delay', () => {
    const { t, sut, batches, outcomes, register } = setup({ maxBatchSize: 8, preferredBatchSize: 8, maxQueueDelayMs: 10 });
    register('f');
    sut.enqueue(request('f', 'a', t.now + 1000, outcomes, t.now));
    sut.enqueue(request('f', 'b', t.now + 1000, outcomes, t.now));
    t.advance(9);
    expect(batches).toHaveLength(0);
    t.advance(1.5);
    expect(batches.map((b) => b.ids)).toEqual([['a', 'b']]);
  });

  it('answers 504 without running a request that can no longer meet its deadline', async () => {
    const { t, sut, batches, outcomes, register } = setup({ maxBatchSize: 8, preferredBatchSize: 8, maxQueueDelayMs: 100 }, 5);
    register('f');
    sut.enqueue(request('f', 'first', t.now + 1000, outcomes, t.now));
    // Occupy the device so the tight request must wait.
    sut.enqueue(request('f', 'x', t.now + 1000, outcomes, t.now, 'other-shape'));
    t.advance(100);
    expect(batches).toHaveLength(1);
    sut.enqueue(request('f', 'tight', t.now + 3, outcomes, t.now));
    t.advance(4);
    batches[0].release();
    await flush();
    expect(outcomes).toContainEqual({ id: 'tight', code: 504 });
    expect(batches.flatMap((b) => b.ids)).not.toContain('tight');
  });

  it('does not refuse for ever on an estimate one slow run inflated: refusals pull it back until requests run again', async () => {
    const { t, sut, outcomes } = setup({ maxBatchSize: 1, preferredBatchSize: 1, maxQueueDelayMs: 0 }, 0.5);
    const estimator = new AdaptiveExecEstimator({ '1': 0.5 });
    sut.register('f', {
      batching: { maxBatchSize: 1, preferredBatchSize: 1, maxQueueDelayMs: 0 },
      estimator,
      run: async (batch) =>
        batch.forEach((r) => r.settle({ result: { type: 'document', body: {} }, served: { batchSize: 1, queueMs: 0, execMs: 0.5 } })),
    });
    // One run stalled for 80 ms (a CPU stall): the batch-1 estimate jumps to ~16.4 ms, past a 15 ms SLO.
    estimator.observe(1, 80);
    expect(estimator.execMs(1)).toBeGreaterThan(15);
    let refused = 0;
    let served = 0;
    for (let i = 0; i < 200 && served === 0; i++) {
      const before = outcomes.length;
      sut.enqueue(request('f', `r${i}`, t.now + 15, outcomes, t.now));
      await flush();
      const o = outcomes.slice(before);
      if (o.some((x) => x.code === 504)) refused++;
      if (o.some((x) => x.code === undefined)) served++;
      t.advance(4);
    }
    // Without `relax` every one of the 200 is refused (the estimate only learns from runs).
    expect(served).toBe(1);
    expect(refused).toBeGreaterThan(0);
    expect(refused).toBeLessThan(60);
  });

  it('sheds with 429 when the queue is full, and accepts again once it drains', async () => {
    const { t, sut, outcomes, register, batches } = setup({ maxBatchSize: 2, preferredBatchSize: 2, maxQueueDelayMs: 5 }, 2, 1, 3);
    register('f');
    for (let i = 0; i < 2; i++) sut.enqueue(request('f', `r${i}`, t.now + 1000, outcomes, t.now));
    for (let i = 2; i < 5; i++) sut.enqueue(request('f', `r${i}`, t.now + 1000, outcomes, t.now));
    let shed: unknown;
    try {
      sut.enqueue(request('f', 'over', t.now + 1000, outcomes, t.now));
    } catch (e) {
      shed = e;
    }
    expect(shed).toBeInstanceOf(EparaError);
    expect((shed as EparaError).code).toBe(429);
    batches[0].release();
    await flush();
    expect(() => sut.enqueue(request('f', 'later', t.now + 1000, outcomes, t.now))).not.toThrow();
  });

  it('offer returns the refusal enqueue would throw (404, 429) without queuing, and queues otherwise', () => {
    const { t, sut, outcomes, register, batches } = setup({ maxBatchSize: 1, preferredBatchSize: 1, maxQueueDelayMs: 0 }, 10, 1, 100);
    register('f');
    expect(sut.offer(request('nope', 'x', t.now + 1000, outcomes, t.now))?.code).toBe(404);
    expect(sut.offer(request('f', 'r0', t.now + 1000, outcomes, t.now))).toBeUndefined(); // runs at once
    expect(sut.offer(request('f', 'r1', t.now + 12, outcomes, t.now))).toBeUndefined(); // queued behind r0
    // r1 goes first (earlier deadline) and takes 10 ms: one due in 15 ms would miss its deadline waiting.
    const refusal = sut.offer(request('f', 'late', t.now + 15, outcomes, t.now));
    expect(refusal?.code).toBe(429);
    expect(sut.queuedOf('f')).toBe(1);
    const thrown = (() => {
      try {
        sut.enqueue(request('f', 'late', t.now + 15, outcomes, t.now));
      } catch (e) {
        return e as EparaError;
      }
    })();
    expect(thrown).toBeInstanceOf(EparaError);
    expect(thrown?.code).toBe(429);
    expect(thrown?.message).toBe(refusal?.toError().message);
    expect(thrown?.message).toMatch(/overloaded here: the 1 requests ahead/);
    expect(batches.map((b) => b.ids)).toEqual([['r0']]);
    expect(outcomes).toEqual([]);
  });

  it('admit makes the checks offer makes, before a request exists: 404, 429 with when to retry, 504 that relaxes the estimate', () => {
    const { t, sut, outcomes, register } = setup({ maxBatchSize: 1, preferredBatchSize: 1, maxQueueDelayMs: 0 }, 10, 1, 100);
    register('f');
    expect(sut.admit('nope', t.now + 1000)?.code).toBe(404);
    expect(sut.admit('f', t.now + 1000)).toBeUndefined();
    sut.enqueue(request('f', 'r0', t.now + 1000, outcomes, t.now)); // runs at once
    sut.enqueue(request('f', 'r1', t.now + 12, outcomes, t.now)); // queued, 10 ms of work ahead of later deadlines
    const shed = sut.admit('f', t.now + 15);
    expect(shed?.code).toBe(429);
    expect(shed?.toError().details).toEqual({ queued: 1, retryAfterMs: 10 });
    expect(sut.queuedOf('f')).toBe(1); // admit queues nothing
    const late = sut.admit('f', t.now + 5); // one 10 ms run cannot fit in 5 ms
    expect(late?.code).toBe(504);
    expect(late?.toError('x').message).toBe('deadline cannot be met: one run takes 10.0 ms and 5.0 ms are left');
    expect(late?.toError('x').details).toEqual({ requestId: 'x' });
  });

  it('never mixes shapes in one batch', () => {
    const { t, sut, batches, outcomes, register } = setup({ maxBatchSize: 8, preferredBatchSize: 2, maxQueueDelayMs: 5 }, 2, 2);
    register('f');
    sut.enqueue(request('f', 'a1', t.now + 1000, outcomes, t.now, 'A'));
    sut.enqueue(request('f', 'b1', t.now + 1000, outcomes, t.now, 'B'));
    sut.enqueue(request('f', 'a2', t.now + 1000, outcomes, t.now, 'A'));
    sut.enqueue(request('f', 'b2', t.now + 1000, outcomes, t.now, 'B'));
    expect(batches.map((b) => b.ids.sort())).toEqual([
      ['a1', 'a2'],
      ['b1', 'b2'],
    ]);
  });

  it('serves the most urgent function next, so a busy batch function cannot starve a latency-sensitive one', async () => {
    const { t, sut, batches, outcomes, register } = setup({ maxBatchSize: 4, preferredBatchSize: 4, maxQueueDelayMs: 5 });
    register('bulk');
    register('interactive', { maxBatchSize: 1, preferredBatchSize: 1, maxQueueDelayMs: 0 });
    for (let i = 0; i < 4; i++) sut.enqueue(request('bulk', `b${i}`, t.now + 500, outcomes, t.now));
    expect(batches).toHaveLength(1); // device busy with bulk
    for (let i = 4; i < 12; i++) sut.enqueue(request('bulk', `b${i}`, t.now + 500, outcomes, t.now));
    sut.enqueue(request('interactive', 'i0', t.now + 20, outcomes, t.now));
    batches[0].release();
    await flush();
    expect(batches[1].fn).toBe('interactive');
    batches[1].release();
    await flush();
    expect(batches[2].fn).toBe('bulk');
  });

  it('keeps its bookkeeping exact over many rounds (queued + running + answered = enqueued)', async () => {
    // Drift here would make heartbeats lie about load, and routing would follow the lie.
    const { t, sut, batches, outcomes, register } = setup({ maxBatchSize: 4, preferredBatchSize: 3, maxQueueDelayMs: 3 });
    register('f');
    let enqueued = 0;
    for (let round = 0; round < 200; round++) {
      const n = round % 5;
      for (let i = 0; i < n; i++) {
        sut.enqueue(request('f', `r${enqueued++}`, t.now + (round % 7 === 0 ? 1 : 1000), outcomes, t.now));
      }
      t.advance(round % 4);
      const open = batches.filter((b) => !(b as { done?: boolean }).done);
      if (open.length && round % 2 === 0) {
        open[0].release();
        (open[0] as { done?: boolean }).done = true;
        await flush();
      }
      const l = sut.load('f');
      const settled = outcomes.length;
      expect(l.queued + l.running + settled).toBe(enqueued);
      expect([sut.queued, sut.queuedOf('f'), sut.completedOf('f')]).toEqual([l.queued, l.queued, l.completed]);
    }
  });

  it('shrinks a batch whose full size would make its most urgent request late', () => {
    // exec(8) ≈ 6 ms here (seed: 1 → 2 ms, 8 → 6 ms); the head has 4 ms left, so a smaller batch runs.
    const { t, sut, batches, outcomes, register } = setup({ maxBatchSize: 8, preferredBatchSize: 8, maxQueueDelayMs: 50 });
    register('f');
    for (let i = 0; i < 7; i++) sut.enqueue(request('f', `r${i}`, t.now + 1000, outcomes, t.now));
    expect(batches).toHaveLength(0); // waiting for the preferred size
    sut.enqueue(request('f', 'urgent', t.now + 4, outcomes, t.now)); // the 8th: preferred size reached
    expect(batches).toHaveLength(1);
    expect(batches[0].ids[0]).toBe('urgent');
    expect(batches[0].ids).toHaveLength(4); // exec(4) ≈ 3.9 ms fits the 4 ms left; exec(8) ≈ 6 ms would not
  });
});
