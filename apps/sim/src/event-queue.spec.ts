import { EventQueue } from './event-queue';
import { SyncCompletion } from './virtual-time';
import { Rng } from '@epara/workload';

describe(EventQueue.name, () => {
  it('pops in time order, ties in insertion order, across growth', () => {
    const sut = new EventQueue();
    const rng = new Rng(3);
    const pushed: [number, number][] = [];
    for (let i = 0; i < 5000; i++) {
      const t = Math.floor(rng.next() * 100); // many ties
      sut.push(t, i % 7, i);
      pushed.push([t, i]);
    }
    pushed.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const popped: [number, number][] = [];
    while (sut.size > 0) {
      const t = sut.pop();
      expect(sut.kind).toBe((sut.payload as number) % 7);
      popped.push([t, sut.payload as number]);
    }
    expect(popped).toEqual(pushed);
    expect(sut.peekTime()).toBe(Infinity);
  });

  it('keeps the order when pushes and pops interleave (as in a run)', () => {
    const sut = new EventQueue();
    const rng = new Rng(5);
    const pending: [number, number][] = [];
    let id = 0;
    let now = 0;
    const expected: [number, number][] = [];
    const popped: [number, number][] = [];
    for (let step = 0; step < 20_000; step++) {
      const pushes = rng.int(3);
      for (let k = 0; k < pushes; k++) {
        const t = now + Math.floor(rng.next() * 20);
        sut.push(t, 1, id);
        // Kept sorted by (time, id): ids grow, so a new one goes after every equal time.
        let i = pending.length;
        while (i > 0 && pending[i - 1][0] > t) i--;
        pending.splice(i, 0, [t, id++]);
      }
      if (sut.size === 0) continue;
      expected.push(pending.shift()!);
      now = sut.pop();
      popped.push([now, sut.payload as number]);
    }
    expect(popped).toEqual(expected);
  });
});

describe(SyncCompletion.name, () => {
  it('runs .then(done, done) synchronously on resolve, as the DeviceExecutor chains it', () => {
    const sut = new SyncCompletion<void>();
    let calls = 0;
    const done = (): void => {
      calls++;
    };
    sut.then(done, done);
    expect(calls).toBe(0);
    sut.resolve();
    expect(calls).toBe(1);
  });

  it('runs .catch().finally() synchronously on resolve', () => {
    const sut = new SyncCompletion<void>();
    const log: string[] = [];
    sut.catch(() => log.push('catch')).finally(() => log.push('finally'));
    sut.then(() => log.push('then'));
    expect(log).toEqual([]);
    sut.resolve();
    expect(log).toEqual(['finally', 'then']);
    sut.finally(() => log.push('late')); // already settled: runs at once
    expect(log).toEqual(['finally', 'then', 'late']);
  });
});
