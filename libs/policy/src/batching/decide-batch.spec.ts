import { canStillMeet, decideBatch, isExpired } from './decide-batch';
import { BatchDecision, BatchParams, MIN_WAIT_MS, QueueView } from './types';

const NOW = 100;
/** 2 ms fixed cost + 1 ms per item; 1 ms safety before deadlines. */
const params: BatchParams = { maxBatchSize: 16, preferredBatchSize: 8, maxQueueDelayMs: 5, execMs: (b) => 2 + b, safetyMs: 1 };

function view(q: { size: number; ageMs?: number; deadlineInMs?: number }): QueueView {
  return { size: q.size, oldestArrivalMs: NOW - (q.ageMs ?? 0), earliestDeadlineMs: NOW + (q.deadlineInMs ?? Infinity) };
}

describe(decideBatch.name, () => {
  it.each<[string, Parameters<typeof view>[0], Partial<BatchParams>, BatchDecision]>([
    ['preferred size reached', { size: 8 }, {}, { kind: 'run', size: 8, reason: 'preferred size 8 reached' }],
    ['more than max: run max', { size: 20 }, {}, { kind: 'run', size: 16, reason: 'preferred size 8 reached' }],
    [
      'preferred above max is clamped',
      { size: 4 },
      { preferredBatchSize: 32, maxBatchSize: 4 },
      { kind: 'run', size: 4, reason: 'preferred size 4 reached' },
    ],
    ['fresh partial batch waits the delay', { size: 3 }, {}, { kind: 'wait', forMs: 5 }],
    ['waits what is left of the delay', { size: 3, ageMs: 3 }, {}, { kind: 'wait', forMs: 2 }],
    ['max queue delay', { size: 3, ageMs: 5 }, {}, { kind: 'run', size: 3, reason: 'max queue delay 5 ms' }],
    ['zero delay runs at once', { size: 1 }, { maxQueueDelayMs: 0 }, { kind: 'run', size: 1, reason: 'max queue delay 0 ms' }],
    // deadline 107: a batch of 4 would end at 100 + 6 = 106 > 107 − 1 → run the 3 now, they end at 105.
    ['deadline: waiting for a 4th would miss', { size: 3, deadlineInMs: 7 }, {}, { kind: 'run', size: 3, reason: 'deadline: 1 ms slack' }],
    // deadline 110: latest start of a batch of 4 is 103 → wait 3 ms (less than the 5 ms delay).
    ['deadline bounds the wait', { size: 3, deadlineInMs: 10 }, {}, { kind: 'wait', forMs: 3 }],
    ['deadline already missed still runs', { size: 2, deadlineInMs: -3 }, {}, { kind: 'run', size: 2, reason: 'deadline: -8 ms slack' }],
    [
      'safety defaults to 1 ms',
      { size: 3, deadlineInMs: 7 },
      { safetyMs: undefined },
      { kind: 'run', size: 3, reason: 'deadline: 1 ms slack' },
    ],
    ['wait is never below the epsilon', { size: 3, ageMs: 4.99 }, {}, { kind: 'wait', forMs: MIN_WAIT_MS }],
    ['empty queue: nothing to run', { size: 0 }, {}, { kind: 'wait', forMs: 5 }],
  ])('%s', (_name, q, over, expected) => {
    const d = decideBatch(view(q), { ...params, ...over }, NOW);
    if (expected.kind === 'wait' && d.kind === 'wait') expect(d.forMs).toBeCloseTo(expected.forMs);
    else expect(d).toEqual(expected);
  });

  it('a timer armed for the returned wait fires the rule it waited for', () => {
    // Deadline-bound wait of 3 ms: at NOW + 3 the deadline rule fires (comparisons fire at equality).
    const q = view({ size: 3, deadlineInMs: 10 });
    const first = decideBatch(q, params, NOW);
    expect(first.kind).toBe('wait');
    const later = decideBatch(q, params, NOW + (first as { forMs: number }).forMs);
    expect(later).toMatchObject({ kind: 'run', size: 3 });
    expect((later as { reason: string }).reason).toMatch(/^deadline/);
  });

  it('shape groups are independent: one group running does not change the other', () => {
    const big = view({ size: 8 });
    const small = view({ size: 2, ageMs: 1 });
    const a1 = decideBatch(big, params, NOW);
    const b1 = decideBatch(small, params, NOW);
    const b2 = decideBatch(small, params, NOW);
    const a2 = decideBatch(big, params, NOW);
    expect([a1.kind, b1.kind]).toEqual(['run', 'wait']);
    expect([a2, b2]).toEqual([a1, b1]);
  });

  /**
   * Fake clock: one device, one request every `gapMs`, each with a 20 ms deadline; the worker acts
   * on each decision (arms a timer or runs and is busy for execMs). No request that could be met
   * alone misses its deadline, and batching still happens.
   */
  it.each([
    ['sparse', 4],
    ['steady', 1],
    ['dense', 0.25],
  ])('fake clock, %s arrivals: no deadline missed, batches form', (_name, gapMs) => {
    const execMs = (b: number): number => 1 + 0.2 * b;
    const p: BatchParams = { maxBatchSize: 32, preferredBatchSize: 32, maxQueueDelayMs: 50, execMs, safetyMs: 0.5 };
    const sloMs = 20;
    const arrivals = Array.from({ length: 400 }, (_, i) => i * gapMs);
    const queue: number[] = [];
    let next = 0;
    let now = 0;
    let busyUntil = 0;
    let missed = 0;
    let batches = 0;
    while (next < arrivals.length || queue.length > 0) {
      while (next < arrivals.length && arrivals[next] <= now) queue.push(arrivals[next++]);
      const nextArrival = next < arrivals.length ? arrivals[next] : Infinity;
      if (now < busyUntil) {
        now = busyUntil; // arrivals while busy queue up and are admitted on the next turn
        continue;
      }
      if (queue.length === 0) {
        now = nextArrival;
        continue;
      }
      const d = decideBatch({ size: queue.length, oldestArrivalMs: queue[0], earliestDeadlineMs: queue[0] + sloMs }, p, now);
      if (d.kind === 'wait') {
        now = Math.min(now + d.forMs, nextArrival);
        continue;
      }
      const batch = queue.splice(0, d.size);
      busyUntil = now + execMs(batch.length);
      for (const arrival of batch) if (busyUntil > arrival + sloMs) missed++;
      batches++;
    }
    expect(missed).toBe(0);
    expect(batches).toBeLessThan(arrivals.length);
  });
});

describe(canStillMeet.name, () => {
  it.each([
    [110, 100, 10, true],
    [110, 100, 10.5, false],
    [110, 111, 0, false],
  ])('deadline %p, now %p, exec %p → %p', (deadline, now, exec, ok) => expect(canStillMeet(deadline, now, exec)).toBe(ok));
});

describe(isExpired.name, () => {
  it.each([
    [100, 99, false],
    [100, 100, true],
    [100, 101, true],
  ])('deadline %p, now %p → %p', (deadline, now, expired) => expect(isExpired(deadline, now)).toBe(expired));
});
