import { pickNextQueue } from './pick-next-queue';
import { toQueueCandidate } from './to-queue-candidate';
import { BatchParams, NextQueue, QueueCandidate } from './types';

const NOW = 1000;
const run = (key: string, deadline: number, size = 1, runMs = 1): QueueCandidate => ({
  key,
  decision: { kind: 'run', size, reason: 'r' },
  earliestDeadlineMs: deadline,
  runnableSize: size,
  runMs,
  latestStartMs: deadline - runMs,
});
const wait = (key: string, forMs: number, latestStartMs = Infinity, deadline = Infinity): QueueCandidate => ({
  key,
  decision: { kind: 'wait', forMs },
  earliestDeadlineMs: deadline,
  runnableSize: 2,
  runMs: 1,
  latestStartMs,
});

describe(pickNextQueue.name, () => {
  it.each<[string, QueueCandidate[], NextQueue]>([
    ['nothing queued', [], { kind: 'idle', reason: 'no queue has requests' }],
    ['one ready', [wait('a', 2), run('b', NOW + 50, 4)], { kind: 'run', key: 'b', size: 4, reason: 'r' }],
    [
      'earliest deadline wins',
      [run('a', NOW + 50), run('b', NOW + 20), run('c', NOW + 30)],
      { kind: 'run', key: 'b', size: 1, reason: 'r; earliest deadline of 3 ready queues' },
    ],
    [
      'ties → first',
      [run('a', NOW + 20), run('b', NOW + 20)],
      { kind: 'run', key: 'a', size: 1, reason: 'r; earliest deadline of 2 ready queues' },
    ],
    ['none ready → shortest wait', [wait('a', 3), wait('b', 1.5), wait('c', 2)], { kind: 'wait', key: 'b', forMs: 1.5 }],
    [
      'a waiting queue that cannot wait behind the run goes first',
      [run('heavy', NOW + 200, 32, 40), wait('light', 1, NOW + 3, NOW + 5)],
      { kind: 'run', key: 'light', size: 2, reason: 'deadline: cannot wait behind heavy (40 ms), 3 ms slack' },
    ],
    [
      'a waiting queue that can wait does',
      [run('heavy', NOW + 200, 32, 40), wait('light', 1, NOW + 45, NOW + 50)],
      { kind: 'run', key: 'heavy', size: 32, reason: 'r' },
    ],
  ])('%s', (_name, candidates, expected) => expect(pickNextQueue(candidates, NOW)).toEqual(expected));

  it('without nowMs (devices that run batches concurrently): plain EDF among ready queues', () => {
    const bare = (key: string, decision: QueueCandidate['decision'], deadline: number): QueueCandidate => ({
      key,
      decision,
      earliestDeadlineMs: deadline,
    });
    expect(
      pickNextQueue([bare('heavy', { kind: 'run', size: 32, reason: 'r' }, NOW + 200), bare('light', { kind: 'wait', forMs: 1 }, NOW + 5)]),
    ).toEqual({ kind: 'run', key: 'heavy', size: 32, reason: 'r' });
    expect(pickNextQueue([bare('a', { kind: 'wait', forMs: 3 }, NOW), bare('b', { kind: 'wait', forMs: 1 }, NOW)])).toEqual({
      kind: 'wait',
      key: 'b',
      forMs: 1,
    });
  });

  it('a frequency-heavy function cannot starve a latency-sensitive one (EDF across functions)', () => {
    const heavy: BatchParams = { maxBatchSize: 32, preferredBatchSize: 16, maxQueueDelayMs: 25, execMs: (b) => 5 + b };
    const light: BatchParams = { maxBatchSize: 4, preferredBatchSize: 4, maxQueueDelayMs: 2, execMs: (b) => 1 + b };
    // The heavy function always has a full batch with a loose deadline; the light one has one request
    // that must start within 2 ms, so it cannot wait behind a 37 ms heavy batch.
    const picked = pickNextQueue(
      [
        toQueueCandidate('heavy', { size: 64, oldestArrivalMs: NOW - 1, earliestDeadlineMs: NOW + 200 }, heavy, NOW),
        toQueueCandidate('light', { size: 1, oldestArrivalMs: NOW, earliestDeadlineMs: NOW + 5 }, light, NOW),
      ],
      NOW,
    );
    expect(picked).toEqual({ kind: 'run', key: 'light', size: 1, reason: 'deadline: cannot wait behind heavy (37 ms), 2 ms slack' });
  });

  it('fake clock: two functions on one device, every light request meets its deadline', () => {
    // heavy: a backlog of 16-batches forever (frequency-sensitive). light: one request every 10 ms, 8 ms SLO.
    const heavy: BatchParams = { maxBatchSize: 16, preferredBatchSize: 16, maxQueueDelayMs: 25, execMs: (b) => 2 + 0.25 * b };
    const light: BatchParams = { maxBatchSize: 4, preferredBatchSize: 4, maxQueueDelayMs: 2, execMs: (b) => 1 + 0.5 * b };
    let now = 0;
    const lightQueue: number[] = [];
    let nextLight = 0;
    let missed = 0;
    let heavyRuns = 0;
    while (now < 1000) {
      while (nextLight <= now) {
        lightQueue.push(nextLight);
        nextLight += 10;
      }
      const lightView = {
        size: lightQueue.length,
        oldestArrivalMs: lightQueue[0] ?? now,
        earliestDeadlineMs: (lightQueue[0] ?? Infinity) + 8,
      };
      const heavyView = { size: 100, oldestArrivalMs: now - 1, earliestDeadlineMs: now + 100 };
      const next = pickNextQueue([toQueueCandidate('heavy', heavyView, heavy, now), toQueueCandidate('light', lightView, light, now)], now);
      if (next.kind !== 'run') {
        now = Math.min(now + (next.kind === 'wait' ? next.forMs : 1), nextLight);
        continue;
      }
      if (next.key === 'heavy') {
        heavyRuns++;
        now += heavy.execMs(next.size);
      } else {
        const batch = lightQueue.splice(0, next.size);
        now += light.execMs(batch.length);
        for (const arrival of batch) if (now > arrival + 8) missed++;
      }
    }
    expect(missed).toBe(0);
    expect(heavyRuns).toBeGreaterThan(100); // the heavy function still gets the device most of the time
  });
});
