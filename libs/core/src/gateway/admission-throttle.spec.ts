import { DeviceState, FunctionLoad, Mode } from '@epara/contracts';
import { AdmissionThrottle } from './admission-throttle';

function heartbeat(device: string, startedAt: number, loads: Partial<FunctionLoad>[]): DeviceState {
  return {
    device,
    startedAt,
    functions: loads.map((l) => ({
      fn: 'f',
      mode: Mode.Dp,
      queued: 0,
      running: 0,
      completed: 0,
      received: 0,
      execMsEwma: 1,
      preferredBatchSize: 1,
      ready: true,
      ...l,
    })),
  } as unknown as DeviceState;
}

/**
 * One gateway in front of one worker that can take `capacity` requests a second and sheds the rest:
 * `seconds` of `offered` requests a second, spread over each second, a heartbeat at the end of each.
 * `from` carries the clock and the counters from one call to the next. Returns what the gateway forwarded in each second.
 */
function run(
  throttle: AdmissionThrottle,
  offered: number,
  capacity: number,
  seconds: number,
  from = { s: 0, received: 0, shed: 0 },
  /** The worker reports each second's counts this many heartbeats late (its queue drains after the second ends). */
  reportLag = 0,
): number[] {
  let { received, shed } = from;
  const forwardedPerSecond: number[] = [];
  const reports: { received: number; shed: number }[] = [];
  for (let s = from.s; s < from.s + seconds; s++) {
    let forwarded = 0;
    for (let i = 0; i < offered; i++) if (throttle.admit('f', s * 1000 + (i * 1000) / offered)) forwarded++;
    received += forwarded;
    shed += Math.max(0, forwarded - capacity);
    reports.push({ received, shed });
    const report = reports[reports.length - 1 - reportLag] ?? { received: 0, shed: 0 };
    throttle.observeHeartbeat(heartbeat('cpu-0', 1, [report]), s * 1000 + 999);
    forwardedPerSecond.push(forwarded);
  }
  Object.assign(from, { s: from.s + seconds, received, shed });
  return forwardedPerSecond;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('AdmissionThrottle', () => {
  it('refuses nothing while the workers refuse nothing', () => {
    const t = new AdmissionThrottle();
    const forwarded = run(t, 800, 1000, 10);
    expect(forwarded.every((n) => n === 800)).toBe(true);
    expect(t.limit('f')).toBe(Infinity);
  });

  it.each([1.5, 3, 10])('under %s× overload forwards about K times what the workers accept', (factor) => {
    const t = new AdmissionThrottle({ acceptsMultiplier: 1.1 });
    const forwarded = run(t, 1000 * factor, 1000, 30);
    // After the first periods, what it forwards settles near 1.1 × capacity.
    const settled = mean(forwarded.slice(5));
    expect(settled).toBeGreaterThan(1000);
    expect(settled).toBeLessThan(1250);
  });

  it.each([1.5, 3])('does not sink below capacity when the workers report their refusals a heartbeat late (%s× overload)', (factor) => {
    const t = new AdmissionThrottle({ acceptsMultiplier: 1.1 });
    const forwarded = run(t, 1000 * factor, 1000, 30, undefined, 1);
    const settled = mean(forwarded.slice(6));
    expect(settled).toBeGreaterThan(950);
    expect(settled).toBeLessThan(1250);
    expect(Math.min(...forwarded.slice(6))).toBeGreaterThan(800);
  });

  it('lifts the limit when the overload ends', () => {
    const t = new AdmissionThrottle();
    const clock = { s: 0, received: 0, shed: 0 };
    run(t, 3000, 1000, 10, clock);
    expect(t.limit('f')).toBeLessThan(1300);
    // The workers now refuse nothing: the limit rises each period until it is lifted.
    const after = run(t, 900, 1000, 10, clock);
    expect(after.slice(3).every((n) => n === 900)).toBe(true);
    expect(t.limit('f')).toBe(Infinity);
  });

  it('never shuts a function out: a worker that keeps refusing still gets a trickle to measure', () => {
    const t = new AdmissionThrottle();
    // A worker that refuses everything (capacity 0) for 10 s.
    const forwarded = run(t, 1000, 0, 10);
    expect(forwarded.slice(3).every((n) => n >= 1)).toBe(true);
  });

  it('does not judge a function with too little traffic', () => {
    const t = new AdmissionThrottle({ minReceived: 20 });
    // 10 a second, all refused: under 20 in a period.
    expect(run(t, 10, 0, 4).every((n) => n === 10)).toBe(true);
  });

  it('takes no delta across a worker restart or from a worker without the shed counter', () => {
    const t = new AdmissionThrottle();
    for (let i = 0; i < 500; i++) t.admit('f', i);
    t.observeHeartbeat(heartbeat('cpu-0', 1, [{ received: 10_000, shed: 9_000 }]), 100);
    // Restarted (new startedAt): its counters start again; nothing is learned from the jump.
    t.observeHeartbeat(heartbeat('cpu-0', 2, [{ received: 100, shed: 90 }]), 500);
    t.observeHeartbeat(heartbeat('cpu-1', 1, [{ received: 5_000 }]), 600);
    t.observeHeartbeat(heartbeat('cpu-1', 1, [{ received: 9_000 }]), 900);
    t.admit('f', 1000); // the period ends
    expect(t.limit('f')).toBe(Infinity);
  });

  it('sums what several workers of a function refused, and takes its share of what they accepted', () => {
    const t = new AdmissionThrottle({ acceptsMultiplier: 1.1 });
    t.observeHeartbeat(heartbeat('cpu-0', 1, [{ received: 0, shed: 0 }]), 0);
    t.observeHeartbeat(heartbeat('cpu-1', 1, [{ received: 0, shed: 0 }]), 0);
    for (let i = 0; i < 200; i++) t.admit('f', 100 + i);
    t.observeHeartbeat(heartbeat('cpu-0', 1, [{ received: 200, shed: 100 }]), 900);
    t.observeHeartbeat(heartbeat('cpu-1', 1, [{ received: 200, shed: 0 }]), 900);
    t.admit('f', 1100); // the period (1 s from the first request) ends
    // The workers refused 25% of what reached them: of this gateway's 200 forwards, 150 were accepted.
    expect(t.limit('f')).toBeCloseTo(1.1 * 150, 5);
  });
});
