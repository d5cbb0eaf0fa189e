import { place } from './place';
import { dev, fn, GB, input, memoryUsed, params, randomCluster, seeded } from '../../test/placement-fixtures';
import { PlacementDecision, PlacementInput } from './types';

const replicasOf = (d: PlacementDecision, name: string): string[] => Object.keys(d.byDevice).filter((id) => d.byDevice[id].includes(name));

describe(place.name, () => {
  it.each([
    ['small', 20, 4, 1],
    ['tight memory', 60, 5, 2],
    ['many devices', 100, 30, 3],
  ])('never exceeds a device’s memory (%s: %p functions × %p devices)', (_name, nF, nD, seed) => {
    const { functions, devices } = randomCluster(nF, nD, seed);
    let current: Record<string, string[]> = {};
    for (let round = 0; round < 3; round++) {
      const d = place(input({ functions, devices, current }));
      const used = memoryUsed(d.byDevice, functions);
      for (const x of devices) expect(used[x.id]).toBeLessThanOrEqual(x.memoryBytes);
      current = d.byDevice;
    }
  });

  it('drops what loses least when the current placement is over memory (profiles grew)', () => {
    const d = place(
      input({
        functions: [fn('a', { memoryBytes: 5 * GB, rps: 0 }), fn('b', { memoryBytes: 5 * GB, rps: 50 })],
        devices: [dev('x')],
        current: { x: ['a', 'b'] },
      }),
    );
    expect(d.byDevice).toEqual({ x: ['b'] });
    expect(d.changes).toEqual({ added: [], removed: [['a', 'x']] });
    expect(d.reason).toContain('over memory, dropped a@x');
    expect(d.reason).toContain("unplaced: a (needs 5 GB, no room: devices hold other functions' only replicas)");
  });

  it.each([
    ['uniform', 12, 4, 11],
    ['mixed', 80, 12, 12],
    ['crowded', 200, 8, 13],
  ])('is sticky: a steady input changes nothing over 10 rounds (%s)', (_name, nF, nD, seed) => {
    const { functions, devices } = randomCluster(nF, nD, seed);
    let current = place(input({ functions, devices })).byDevice;
    for (let round = 0; round < 10; round++) {
      const d = place(input({ functions, devices, current }));
      expect(d.changes).toEqual({ added: [], removed: [] });
      current = d.byDevice;
    }
  });

  it.each([
    // 10 ms at batch 1 → 80 rps per device at 0.8 headroom; SLO 100 ms. At 300 rps, 4 replicas run at
    // ρ = 0.75 and 0.8% wait past 90 ms; a fifth (ρ = 0.6) wins 2.2 rps, more than its 0.5 rps load cost.
    [10, 1],
    [100, 2],
    [300, 5],
    [1000, 8], // capped by maxReplicasPerFunction
  ])('more load, more replicas: %p rps → %p replicas', (rps, replicas) => {
    const devices = Array.from({ length: 10 }, (_, i) => dev(`d${i}`));
    const d = place(input({ functions: [fn('hot', { rps })], devices }));
    expect(replicasOf(d, 'hot')).toHaveLength(replicas);
  });

  it('lost devices get nothing and their functions move', () => {
    const functions = [fn('a', { rps: 30 }), fn('b', { rps: 30 }), fn('c', { rps: 0 })];
    const current = { x: ['a', 'b'], y: ['c'], z: ['a'] };
    const d = place(input({ functions, devices: [dev('x', { lost: true }), dev('y'), dev('z')], current }));
    expect(d.byDevice.x).toEqual([]);
    for (const name of ['a', 'b', 'c']) expect(replicasOf(d, name).length).toBeGreaterThan(0);
    expect(d.changes.removed).toEqual([
      ['a', 'x'],
      ['b', 'x'],
    ]);
    expect(d.changes.added).toContainEqual(['b', expect.stringMatching(/^[yz]$/)]);
    expect(d.reason).toContain('gone devices: x (2 replicas)');
  });

  it('devices no longer reported count as gone', () => {
    const d = place(input({ functions: [fn('a')], devices: [dev('y')], current: { old: ['a'] } }));
    expect(d.byDevice).toEqual({ y: ['a'] });
    expect(d.changes).toEqual({ added: [['a', 'y']], removed: [['a', 'old']] });
  });

  it('is deterministic: input order does not matter', () => {
    const { functions, devices } = randomCluster(60, 10, 21);
    const r = seeded(5);
    const shuffle = <T>(xs: T[]): T[] =>
      xs
        .map((x) => [r(), x] as const)
        .sort((a, b) => a[0] - b[0])
        .map((p) => p[1]);
    const a = place(input({ functions, devices }));
    const b = place(input({ functions: shuffle(functions), devices: shuffle(devices) }));
    expect(b).toEqual(a);
  });

  it('gives every function a replica where it fits, and says which cannot fit', () => {
    const functions = [fn('big', { memoryBytes: 20 * GB }), ...Array.from({ length: 12 }, (_, i) => fn(`s${i}`, { rps: 0 }))];
    const d = place(input({ functions, devices: [dev('x'), dev('y')] }));
    for (let i = 0; i < 12; i++) expect(replicasOf(d, `s${i}`)).toHaveLength(1);
    expect(replicasOf(d, 'big')).toHaveLength(0);
    // Idle functions spread over devices rather than piling onto one.
    expect(d.byDevice.x.length).toBe(6);
    expect(d.reason).toContain('unplaced: big (needs 20 GB, largest live device 8 GB)');
  });

  it.each([
    [2, 2],
    [3, 3],
    [5, 3], // only 3 devices
  ])('pinnedReplicas %p → exactly %p replicas, whatever the load', (pinnedReplicas, replicas) => {
    const devices = [dev('x'), dev('y'), dev('z')];
    const d = place(input({ functions: [fn('p', { pinnedReplicas, rps: 0 })], devices }));
    expect(replicasOf(d, 'p')).toHaveLength(replicas);
    const trimmed = place(input({ functions: [fn('p', { pinnedReplicas: 1, rps: 1000 })], devices, current: d.byDevice }));
    expect(replicasOf(trimmed, 'p')).toHaveLength(1);
  });

  it('a change must pay for itself: a heavy load time blocks a small gain', () => {
    const devices = [dev('x'), dev('y')];
    const functions = [fn('f', { rps: 90 })]; // 80 rps on one device; a second replica gains 10 rps
    expect(replicasOf(place(input({ functions, devices })), 'f')).toHaveLength(2);
    const costly = place(input({ functions, devices, params: { ...params, moveCostWeight: 0.05 } })); // 500 ms → 25 rps
    expect(replicasOf(costly, 'f')).toHaveLength(1);
  });

  it('puts the heavy function on the fast device and adds no replica where batch 1 misses the SLO', () => {
    const d = place(
      input({
        functions: [fn('heavy', { rps: 500, execMsBatch1: 10, sloMs: 30 })],
        devices: [dev('slow', { computeScale: 0.25 }), dev('fast', { computeScale: 4 })],
      }),
    );
    // 10 ms / 0.25 = 40 ms > 30 ms SLO on `slow`.
    expect(d.byDevice).toEqual({ fast: ['heavy'], slow: [] });
  });

  it('unloads idle extra replicas when a new function needs the memory', () => {
    // Steady state: 'a' has replicas on x and y (it once needed them), both devices full.
    const functions = [fn('a', { memoryBytes: 8 * GB, rps: 1 }), fn('b', { memoryBytes: 8 * GB, rps: 1 })];
    const d = place(input({ functions, devices: [dev('x'), dev('y')], current: { x: ['a'], y: ['a'] } }));
    // Both of a's replicas are idle extras; ties go to the lower device id.
    expect(d.byDevice).toEqual({ x: ['b'], y: ['a'] });
    expect(d.changes).toEqual({ added: [['b', 'x']], removed: [['a', 'x']] });
    expect(d.reason).toContain('unloaded extra replicas for room: a@x');
  });

  it('a function’s first replica comes before another’s busy extra replica', () => {
    // a needs both its replicas (150 rps > 80 per device), but b must run somewhere.
    const functions = [fn('a', { memoryBytes: 8 * GB, rps: 150 }), fn('b', { memoryBytes: 8 * GB, rps: 1 })];
    const d = place(input({ functions, devices: [dev('x'), dev('y')], current: { x: ['a'], y: ['a'] } }));
    expect(d.changes).toEqual({ added: [['b', 'x']], removed: [['a', 'x']] });
  });

  it('does not unload busy replicas to add more of another function', () => {
    // a wants a second replica (150 rps) but z holds b's busy extra and y b's only one.
    const functions = [fn('a', { memoryBytes: 8 * GB, rps: 150 }), fn('b', { memoryBytes: 8 * GB, rps: 150 })];
    const current = { x: ['a'], y: ['b'], z: ['b'] };
    const d = place(input({ functions, devices: [dev('x'), dev('y'), dev('z')], current }));
    expect(d.changes).toEqual({ added: [], removed: [] });
  });

  it('estimates goodput within capacity', () => {
    const d = place(input({ functions: [fn('f', { rps: 1000 })], devices: [dev('x'), dev('y')] }));
    // 2 × 80 rps admitted at the headroom; at ρ = 0.8, 2.2% of those wait past the SLO's 90 ms of slack.
    expect(d.estimatedGoodput).toBeCloseTo(2 * 80 * (1 - 0.8 * Math.exp((-0.09 * 2 * 0.8 * 0.2) / (80 * 0.01 * 0.01))), 6);
    expect(d.reason).toMatch(
      /^greedy placement: 0 kept, 2 added \(1 for goodput\), 0 removed; the load model expects 157 of the 1000 req\/s asked for to finish within their SLO \(15\.7%\)/,
    );
  });

  it.each<[Partial<PlacementInput['params']>, string]>([
    [{ headroom: 0 }, 'place: invalid params: headroom=0 (expected in (0, 1])'],
    [
      { maxReplicasPerFunction: 0, moveCostWeight: -1 },
      'place: invalid params: moveCostWeight=-1 (expected ≥ 0), maxReplicasPerFunction=0 (expected ≥ 1)',
    ],
  ])('rejects params %o', (over, message) => {
    expect(() => place(input({ params: { ...params, ...over } }))).toThrow(message);
  });

  it('handles an empty cluster', () => {
    const d = place(input({ functions: [fn('a')], devices: [] }));
    expect(d).toMatchObject({ byDevice: {}, changes: { added: [], removed: [] }, estimatedGoodput: 0 });
    expect(d.reason).toContain('unplaced: a');
  });
});
