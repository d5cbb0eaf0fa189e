import { EventQueue } from './event-queue';
import { SyncCompletion } from './virtual-time';
import { Rng } from '../workload';

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
});

describe(SyncCompletion.name, () => {
  it('runs .catch().finally() synchronously on resolve, as the DeviceExecutor chains it', () => {
    const sut = new SyncCompletion<void>();
    const log: string[] = [];
    sut
      .catch(() => log.push('catch'))
      .finally(() => log.push('finally'));
    sut.then(() => log.push('then'));
    expect(log).toEqual([]);
    sut.resolve();
    expect(log).toEqual(['finally', 'then']);
    sut.finally(() => log.push('late')); // already settled: runs at once
    expect(log).toEqual(['finally', 'then', 'late']);
  });
});
