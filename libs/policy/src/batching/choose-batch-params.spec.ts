import { chooseBatchParams } from './choose-batch-params';
import { ChooseBatchParamsInput, ChosenBatchParams } from './types';

/** Throughput (items/ms): 0.5, 0.67, 0.8, 0.89, 0.94, 0.8 — best at 16. */
const profile = { '1': 2, '2': 3, '4': 5, '8': 9, '16': 17, '32': 40 };

describe(chooseBatchParams.name, () => {
  it.each<[string, ChooseBatchParamsInput, Omit<ChosenBatchParams, 'reason'>]>([
    // SLO/2 = 20 ms: sizes up to 16; delay min(10, 40 − 34) = 6.
    [
      'batch, tight SLO',
      { execMsByBatch: profile, sloMs: 40, mode: 'batch' },
      { preferredBatchSize: 16, maxBatchSize: 16, maxQueueDelayMs: 6 },
    ],
    // SLO/2 = 50 ms: 32 fits but 16 has better throughput; delay min(25, 100 − 34).
    [
      'batch, loose SLO',
      { execMsByBatch: profile, sloMs: 100, mode: 'batch' },
      { preferredBatchSize: 16, maxBatchSize: 32, maxQueueDelayMs: 25 },
    ],
    [
      'batch, hint caps size',
      { execMsByBatch: profile, sloMs: 100, mode: 'batch', hints: { maxBatchSize: 4 } },
      { preferredBatchSize: 4, maxBatchSize: 4, maxQueueDelayMs: 25 },
    ],
    [
      'batch, hint pins delay',
      { execMsByBatch: profile, sloMs: 100, mode: 'batch', hints: { maxQueueDelayMs: 7 } },
      { preferredBatchSize: 16, maxBatchSize: 32, maxQueueDelayMs: 7 },
    ],
    [
      'batch, nothing within budget',
      { execMsByBatch: profile, sloMs: 2, mode: 'batch' },
      { preferredBatchSize: 1, maxBatchSize: 1, maxQueueDelayMs: 0 },
    ],
    ['batch, no profile', { sloMs: 100, mode: 'batch' }, { preferredBatchSize: 8, maxBatchSize: 8, maxQueueDelayMs: 25 }],
    // SLO/4 = 10 ms: preferred 8 (9 ms); max by SLO/2 = 16; delay min(2, 4).
    ['dp', { execMsByBatch: profile, sloMs: 40, mode: 'dp' }, { preferredBatchSize: 8, maxBatchSize: 16, maxQueueDelayMs: 0 }],
    // SLO/4 = 2.5 ms: preferred 1; delay min(2, 1).
    ['dp, tight SLO', { execMsByBatch: profile, sloMs: 10, mode: 'dp' }, { preferredBatchSize: 1, maxBatchSize: 4, maxQueueDelayMs: 0 }],
    ['dp, no profile', { sloMs: 100, mode: 'dp' }, { preferredBatchSize: 1, maxBatchSize: 1, maxQueueDelayMs: 0 }],
    [
      'not batchable',
      { execMsByBatch: profile, sloMs: 100, mode: 'batch', batchable: false },
      { preferredBatchSize: 1, maxBatchSize: 1, maxQueueDelayMs: 0 },
    ],
  ])('%s', (_name, input, expected) => {
    const { reason, ...numbers } = chooseBatchParams(input);
    expect(numbers).toEqual(expected);
    expect(reason.startsWith(`${input.mode}: `)).toBe(true);
  });

  it('explains its numbers', () => {
    expect(chooseBatchParams({ execMsByBatch: profile, sloMs: 40, mode: 'batch' }).reason).toBe(
      'batch: preferred 16, best throughput 0.94 items/ms within SLO/2 (17 ms ≤ 20 ms); max 16; ' +
        'max queue delay 6 ms = min(SLO/4, SLO − 2 × 17 ms)',
    );
  });
});
