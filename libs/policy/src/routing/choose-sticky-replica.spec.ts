import { chooseStickyReplica, rendezvousWeight } from './choose-sticky-replica';
import { ReplicaLoad, RouteDecision } from './types';

function replica(device: string, over: Partial<ReplicaLoad> = {}): ReplicaLoad {
  return { device, ready: true, ageMs: 500, queued: 0, running: 0, localInflight: 0, execMsEwma: 10, ...over };
}
const devices = (n: number) => Array.from({ length: n }, (_, i) => replica(`cpu-${i}`));
const keys = Array.from({ length: 4000 }, (_, i) => `mic-${i}`);
const deviceOf = (d: RouteDecision) => (d.kind === 'replica' ? d.device : undefined);

describe(chooseStickyReplica.name, () => {
  it('sends a key to the replica with the highest weight, whatever the list order or the load', () => {
    const a = [replica('cpu-0'), replica('cpu-1', { queued: 50 }), replica('cpu-2')];
    const d = chooseStickyReplica(a, 'mic-7');
    const expected = ['cpu-0', 'cpu-1', 'cpu-2'].reduce((x, y) => (rendezvousWeight('mic-7', y) > rendezvousWeight('mic-7', x) ? y : x));
    expect(deviceOf(d)).toBe(expected);
    expect(deviceOf(chooseStickyReplica([...a].reverse(), 'mic-7'))).toBe(expected);
    expect(d).toMatchObject({ reason: `sticky: stream "mic-7" → ${expected} (rendezvous hash over 3 replica(s))` });
  });

  it('is a pure function of the key and the eligible devices (every gateway computes the same)', () => {
    for (const k of keys.slice(0, 200)) expect(chooseStickyReplica(devices(5), k)).toEqual(chooseStickyReplica(devices(5), k));
    expect(rendezvousWeight('mic-1', 'cpu-0')).toBe(rendezvousWeight('mic-1', 'cpu-0'));
    expect(rendezvousWeight('mic-1', 'cpu-0')).not.toBe(rendezvousWeight('mic-1', 'cpu-1'));
  });

  it('skips replicas that are not ready or stale, and says so', () => {
    const d = chooseStickyReplica([replica('cpu-0', { ready: false }), replica('cpu-1', { ageMs: 10_000 }), replica('cpu-2')], 'k');
    expect(d).toEqual({
      kind: 'replica',
      index: 2,
      device: 'cpu-2',
      reason: 'sticky: stream "k" → cpu-2 (rendezvous hash over 1 replica(s)); 2 excluded (not ready or stale)',
    });
    expect(chooseStickyReplica([replica('a', { ready: false })], 'k')).toEqual({
      kind: 'none',
      reason: 'no eligible replica of 1: 1 not ready, 0 stale (state older than 3000 ms)',
    });
    expect(chooseStickyReplica([], 'k')).toEqual({ kind: 'none', reason: 'no replica placed' });
  });

  it('spreads keys evenly over the replicas', () => {
    const counts = new Map<string, number>();
    for (const k of keys) {
      const d = deviceOf(chooseStickyReplica(devices(4), k))!;
      counts.set(d, (counts.get(d) ?? 0) + 1);
    }
    // 1000 each on average; a hash that clumps would leave some replica far off it.
    for (const n of counts.values()) expect(Math.abs(n - 1000)).toBeLessThan(150);
    expect(counts.size).toBe(4);
  });

  it('moves only the keys of a replica that leaves, and a joining replica takes only keys it wins', () => {
    const before = keys.map((k) => deviceOf(chooseStickyReplica(devices(4), k)));
    const without2 = devices(4).filter((r) => r.device !== 'cpu-2');
    const after = keys.map((k) => deviceOf(chooseStickyReplica(without2, k)));
    keys.forEach((_, i) => {
      if (before[i] !== 'cpu-2') expect(after[i]).toBe(before[i]);
      else expect(after[i]).not.toBe('cpu-2');
    });
    const joined = keys.map((k) => deviceOf(chooseStickyReplica(devices(5), k)));
    keys.forEach((_, i) => expect(joined[i] === before[i] || joined[i] === 'cpu-4').toBe(true));
    // About a fifth of the keys move to the new replica (not all of them, as modulo hashing would).
    const moved = joined.filter((d) => d === 'cpu-4').length;
    expect(moved).toBeGreaterThan(600);
    expect(moved).toBeLessThan(1000);
  });
});
