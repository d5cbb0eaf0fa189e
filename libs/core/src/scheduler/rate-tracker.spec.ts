import type { DeviceState, FunctionLoad } from '@epara/contracts';
import { RATE_WINDOW_MS, RateTracker } from './rate-tracker';

function heartbeat(device: string, functions: Partial<FunctionLoad>[]): DeviceState {
  return { device, functions: functions.map((f) => ({ ready: true, ...f })) } as DeviceState;
}

describe(RateTracker.name, () => {
  it('sums the per-device rate of a unit over the window', () => {
    const sut = new RateTracker();
    for (let s = 0; s <= 30; s++) {
      sut.observe('cpu-2', 'a', 10 * s, s * 1000); // 10/s
      sut.observe('cpu-0', 'a', 5 * s, s * 1000 + 500); // 5/s
      sut.observe('cpu-1', 'b', 100 * s, s * 1000); // another unit
    }
    expect(sut.rps('a', 30_500)).toBeCloseTo(15, 9);
    expect(sut.rps('b', 30_500)).toBeCloseTo(100, 9);
    expect(sut.rps('never-seen', 30_500)).toBe(0);
  });

  it('averages over the last window only (more samples than the ring starts with)', () => {
    const sut = new RateTracker();
    let received = 0;
    for (let s = 0; s <= 200; s++) {
      received += s <= 50 ? 1 : 4; // 1 per 100 ms, then 4 from t = 5 s
      sut.observe('cpu-0', 'a', received, s * 100); // every 100 ms: 101 samples in a window
    }
    // At 20 s the window starts at 10 s, where the rate is 4 per 100 ms.
    expect(sut.rps('a', 20_000)).toBeCloseTo(40, 9);
  });

  it('starts afresh when a counter goes down (worker restarted), and needs two samples', () => {
    const sut = new RateTracker();
    sut.observe('cpu-0', 'a', 500, 0);
    sut.observe('cpu-0', 'a', 600, 1000);
    sut.observe('cpu-0', 'a', 3, 2000); // restarted
    expect(sut.rps('a', 2000)).toBe(0);
    sut.observe('cpu-0', 'a', 13, 3000);
    expect(sut.rps('a', 3000)).toBeCloseTo(10, 9);
  });

  it('ignores a device whose last report is older than the window', () => {
    const sut = new RateTracker();
    sut.observe('cpu-0', 'a', 0, 0);
    sut.observe('cpu-0', 'a', 10, 1000);
    expect(sut.rps('a', 1000)).toBeCloseTo(10, 9);
    expect(sut.rps('a', 1000 + RATE_WINDOW_MS + 1)).toBe(0);
  });

  it('counts demand (`received`) from heartbeats, not completions: an overloaded unit still shows its arrivals', () => {
    const sut = new RateTracker();
    sut.observeHeartbeat(heartbeat('cpu-0', [{ fn: 'a', received: 0, completed: 0 }]), 0);
    sut.observeHeartbeat(heartbeat('cpu-0', [{ fn: 'a', received: 300, completed: 100 }]), 1000);
    expect(sut.rps('a', 1000)).toBeCloseTo(300, 9);
  });

  it('counts only units that take requests: a draining old model beside its ready successor is not a counter reset', () => {
    const sut = new RateTracker();
    sut.observeHeartbeat(heartbeat('cpu-0', [{ fn: 'a', received: 0 }]), 0);
    sut.observeHeartbeat(
      heartbeat('cpu-0', [
        { fn: 'a', received: 200 },
        { fn: 'a', received: 0, ready: false },
        { fn: 'b', received: 0, ready: false },
      ]),
      1000,
    );
    expect(sut.rps('a', 1000)).toBeCloseTo(200, 9);
    expect(sut.rps('b', 1000)).toBe(0);
  });
});
