import { toQueueCandidate } from './to-queue-candidate';
import { BatchParams, QueueCandidate } from './types';

const params: BatchParams = { maxBatchSize: 8, preferredBatchSize: 4, maxQueueDelayMs: 5, execMs: (b) => 2 + b, safetyMs: 1 };

describe(toQueueCandidate.name, () => {
  it.each<[string, { size: number; deadline: number }, Omit<QueueCandidate, 'key' | 'decision'> & { kind: string }]>([
    ['waiting', { size: 2, deadline: 120 }, { kind: 'wait', earliestDeadlineMs: 120, runnableSize: 2, runMs: 4, latestStartMs: 115 }],
    [
      'running, capped at max',
      { size: 12, deadline: 150 },
      { kind: 'run', earliestDeadlineMs: 150, runnableSize: 8, runMs: 10, latestStartMs: 139 },
    ],
    [
      'empty',
      { size: 0, deadline: Infinity },
      { kind: 'wait', earliestDeadlineMs: Infinity, runnableSize: 0, runMs: 0, latestStartMs: Infinity },
    ],
  ])('%s', (_name, q, expected) => {
    const { key, decision, ...rest } = toQueueCandidate(
      'f',
      { size: q.size, oldestArrivalMs: 100, earliestDeadlineMs: q.deadline },
      params,
      100,
    );
    const { kind, ...numbers } = expected;
    expect(key).toBe('f');
    expect(decision.kind).toBe(kind);
    expect(rest).toEqual(numbers);
  });
});
