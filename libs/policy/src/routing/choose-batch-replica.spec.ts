import { chooseBatchReplica } from './choose-batch-replica';
import { BatchReplicaLoad, RouteDecision } from './types';

function replica(device: string, over: Partial<BatchReplicaLoad> = {}): BatchReplicaLoad {
  return {
    device,
    ready: true,
    ageMs: 500,
    queued: 0,
    running: 0,
    localInflight: 0,
    execMsEwma: 10,
    fnQueued: 0,
    preferredBatchSize: 8,
    ...over,
  };
}

const never = (): number => {
  throw new Error('random() must not be called when a batch is forming');
};

describe(chooseBatchReplica.name, () => {
  it.each<[string, BatchReplicaLoad[], Partial<RouteDecision>]>([
    [
      'the replica whose batch is forming',
      [replica('a'), replica('b', { fnQueued: 3, queued: 3 }), replica('c', { fnQueued: 8, queued: 8 })],
      { kind: 'replica', index: 1, device: 'b', reason: 'batch window: b has 3/8 queued' },
    ],
    [
      'the fullest forming batch',
      [replica('a', { fnQueued: 2 }), replica('b', { fnQueued: 6 }), replica('c', { fnQueued: 4 })],
      { kind: 'replica', index: 1, device: 'b' },
    ],
    [
      'equal batches → lower load',
      [replica('a', { fnQueued: 2, running: 4 }), replica('b', { fnQueued: 2, running: 1 })],
      { kind: 'replica', index: 1, device: 'b' },
    ],
    [
      'not a stale or unready one',
      [replica('a', { fnQueued: 2, ready: false }), replica('b', { fnQueued: 2, ageMs: 10_000 }), replica('c', { fnQueued: 1 })],
      { kind: 'replica', index: 2, device: 'c' },
    ],
    ['none eligible', [replica('a', { ready: false })], { kind: 'none' }],
  ])('%s', (_name, candidates, expected) => expect(chooseBatchReplica(candidates, never)).toMatchObject(expected));

  it('falls back to power of two choices when no batch is forming', () => {
    const d = chooseBatchReplica([replica('a', { queued: 4 }), replica('b', { fnQueued: 8, queued: 8 })], () => 0);
    expect(d).toEqual({ kind: 'replica', index: 0, device: 'a', reason: 'no batch forming; p2c: a (load 4) over b (load 8)' });
  });
});
