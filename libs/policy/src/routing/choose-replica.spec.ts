import { chooseReplica, loadScore } from './choose-replica';
import { ReplicaLoad, RouteDecision } from './types';

function replica(device: string, over: Partial<ReplicaLoad> = {}): ReplicaLoad {
  return { device, ready: true, ageMs: 500, queued: 0, running: 0, localInflight: 0, execMsEwma: 10, ...over };
}

/** A random() that returns the given values in turn; a call past the end fails the test. */
function randoms(...values: number[]): () => number {
  let i = 0;
  return () => {
    if (i >= values.length) throw new Error('random() called more often than the test expects');
    return values[i++];
  };
}

const deviceOf = (d: RouteDecision) => (d.kind === 'replica' ? d.device : undefined);

/** Small deterministic LCG for the many-request tests. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe(chooseReplica.name, () => {
  it.each<[string, ReplicaLoad[], number[], Partial<RouteDecision>]>([
    ['none placed', [], [], { kind: 'none', reason: 'no replica placed' }],
    [
      'none eligible',
      [replica('a', { ready: false }), replica('b', { ageMs: 5000 }), replica('c', { ready: false, ageMs: 9000 })],
      [],
      { kind: 'none', reason: 'no eligible replica of 3: 2 not ready, 1 stale (state older than 3000 ms)' },
    ],
    ['one', [replica('a')], [], { kind: 'replica', index: 0, device: 'a', reason: 'only eligible replica' }],
    [
      'one eligible among excluded',
      [replica('a', { ready: false }), replica('b'), replica('c', { ageMs: 3001 })],
      [],
      { kind: 'replica', index: 1, device: 'b', reason: 'only eligible replica; 2 excluded (not ready or stale)' },
    ],
    [
      'the less loaded of two',
      [replica('a', { queued: 3, running: 1 }), replica('b', { queued: 1, localInflight: 1 })],
      [0.1, 0.1],
      { kind: 'replica', index: 1, device: 'b', reason: 'p2c: b (load 2) over a (load 4)' },
    ],
    [
      'tie → lower exec time',
      [replica('a', { queued: 1, execMsEwma: 12 }), replica('b', { running: 1, execMsEwma: 8 })],
      [0.2, 0.9, 0.9],
      { kind: 'replica', index: 1, device: 'b' },
    ],
    [
      'an exploring tie goes to the first sampled, slower or not',
      [replica('a', { queued: 1, execMsEwma: 12 }), replica('b', { running: 1, execMsEwma: 8 })],
      [0.2, 0.9, 0.01],
      { kind: 'replica', index: 0, device: 'a' },
    ],
    // i = floor(0.9 × 2) = 1 (b), j = 0 (a): the first sampled wins a full tie, whatever the list order.
    ['full tie → the first sampled', [replica('a'), replica('b')], [0.9, 0.2, 0.9], { kind: 'replica', index: 1, device: 'b' }],
    [
      'full tie → the first sampled (other order)',
      [replica('a'), replica('b')],
      [0.2, 0.9, 0.9],
      { kind: 'replica', index: 0, device: 'a' },
    ],
    [
      'exec times within the tolerance are a tie',
      [replica('a', { execMsEwma: 10 }), replica('b', { execMsEwma: 12 })],
      [0.9, 0.2, 0.9],
      { kind: 'replica', index: 1, device: 'b' },
    ],
    [
      'sub-millisecond differences are a tie',
      [replica('a', { execMsEwma: 0.15 }), replica('b', { execMsEwma: 0.27 })],
      [0.9, 0.2, 0.9],
      { kind: 'replica', index: 1, device: 'b' },
    ],
    // ordinals: i = floor(0.99 × 3) = 2, j = floor(0.99 × 2) = 1 → c vs b; b is less loaded.
    [
      'samples two distinct replicas',
      [replica('a'), replica('b', { queued: 1 }), replica('c', { queued: 2 })],
      [0.99, 0.99],
      { kind: 'replica', index: 1, device: 'b', reason: 'p2c: b (load 1) over c (load 2)' },
    ],
    // i = 0, j = 0 → skips to 1: a vs b, never a vs a.
    [
      'j skips i',
      [replica('a', { queued: 5 }), replica('b', { queued: 1 }), replica('c')],
      [0, 0],
      { kind: 'replica', index: 1, device: 'b' },
    ],
    ['random() = 1 is clamped', [replica('a', { queued: 1 }), replica('b')], [1, 1], { kind: 'replica', index: 1, device: 'b' }],
    [
      'ordinals count eligible replicas only',
      [replica('x', { ready: false }), replica('a', { queued: 2 }), replica('y', { ageMs: 1e6 }), replica('b', { queued: 1 })],
      [0, 0],
      { kind: 'replica', index: 3, device: 'b', reason: 'p2c: b (load 1) over a (load 2); 2 excluded (not ready or stale)' },
    ],
  ])('%s', (_name, candidates, rs, expected) => expect(chooseReplica(candidates, randoms(...rs))).toMatchObject(expected));

  it('honours staleAfterMs', () => {
    const d = chooseReplica([replica('a', { ageMs: 200 }), replica('b', { ageMs: 50 })], randoms(), { staleAfterMs: 100 });
    expect(d).toMatchObject({ kind: 'replica', device: 'b' });
  });

  it('keeps replicas evenly loaded over many requests (the power of two choices)', () => {
    const replicas = Array.from({ length: 10 }, (_, i) => replica(`d${i}`));
    const random = seeded(42);
    for (let r = 0; r < 10_000; r++) {
      const d = chooseReplica(replicas, random);
      if (d.kind !== 'replica') throw new Error(d.reason);
      replicas[d.index].localInflight++;
    }
    const loads = replicas.map(loadScore);
    // 1000 each on average; p2c keeps the spread to a few requests (random choice would spread ~±100).
    expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(5);
  });

  it('shares light load (every request alone, all loads 0) between replicas whose exec estimates differ a little', () => {
    // A worker that rejoined reports its cold first runs (12 ms) beside a warm one (10 ms): with strict
    // comparison the warm one would win every tie and the other would never serve (nor refresh its estimate).
    const replicas = [replica('warm', { execMsEwma: 10 }), replica('rejoined', { execMsEwma: 12 })];
    const random = seeded(7);
    const served = { warm: 0, rejoined: 0 };
    for (let r = 0; r < 2000; r++) {
      const d = chooseReplica(replicas, random);
      if (d.kind !== 'replica') throw new Error(d.reason);
      served[d.device as keyof typeof served]++;
    }
    expect(served.rejoined).toBeGreaterThan(800);
    expect(served.warm).toBeGreaterThan(800);
  });

  it('still prefers a clearly faster device on ties, all but the exploring share', () => {
    const replicas = [replica('cpu', { execMsEwma: 10 }), replica('gpu', { execMsEwma: 2 })];
    const random = seeded(7);
    let gpu = 0;
    for (let r = 0; r < 2000; r++) if (deviceOf(chooseReplica(replicas, random)) === 'gpu') gpu++;
    // The cpu wins only exploring ties it was sampled first in: about EXEC_TIME_EXPLORE_SHARE / 2.
    expect(gpu / 2000).toBeGreaterThan(0.95);
    expect(gpu).toBeLessThan(2000);
  });

  it('lets a replica with a stale, far too high estimate serve some of the light load, so that its estimate can come down', () => {
    // Measured on the fault suite's bed: a worker reported its cold first runs (2.95 ms) beside a warm
    // one (0.40 ms), outside both tie bands; without exploring it served nothing for ten seconds.
    const replicas = [replica('warm', { execMsEwma: 0.4 }), replica('cold', { execMsEwma: 2.95 })];
    const random = seeded(11);
    let cold = 0;
    for (let r = 0; r < 1000; r++) if (deviceOf(chooseReplica(replicas, random)) === 'cold') cold++;
    expect(cold).toBeGreaterThan(5);
  });
});
