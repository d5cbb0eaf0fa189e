import { Footprint, Mode, Sensitivity } from '@epara/contracts/vocabulary';
import { categorize, modeFor } from './categorize';
import { CategorizeInput } from './types';

const GB = 1e9;
const MB = 1e6;

/** A small model with a 30 ms batch-1 time on a 2 GB-free device, 100 ms SLO. */
function input(over: Partial<CategorizeInput> = {}): CategorizeInput {
  return {
    slo: { latencyMs: 100 },
    profile: { execMsByBatch: { '1': 30, '8': 80 }, memoryBytes: 9.4 * MB },
    modelSizeBytes: 4 * MB,
    devices: [
      { memoryBytes: 8 * GB, memoryFreeBytes: 2 * GB },
      { memoryBytes: 4 * GB, memoryFreeBytes: 1 * GB },
    ],
    kindCanSplit: true,
    ...over,
  };
}

describe(modeFor.name, () => {
  it.each([
    [Sensitivity.Latency, Footprint.Single, true, Mode.Dp],
    [Sensitivity.Frequency, Footprint.Single, true, Mode.Batch],
    [Sensitivity.Frequency, Footprint.Multi, true, Mode.Pp],
    [Sensitivity.Latency, Footprint.Multi, true, Mode.Sp],
    [Sensitivity.Latency, Footprint.Multi, false, Mode.Pp],
  ])('%s × %s (split %p) → %s', (s, f, split, mode) => expect(modeFor(s, f, split)).toBe(mode));

  it.each([
    [Sensitivity.Latency, Footprint.Multi, false, Mode.Dp],
    [Sensitivity.Frequency, Footprint.Multi, false, Mode.Batch],
    [Sensitivity.Latency, Footprint.Multi, true, Mode.Sp],
  ])('without pipeline stages %s × %s (split %p) → %s: never a mode with nothing to place', (s, f, split, mode) =>
    expect(modeFor(s, f, split, false)).toBe(mode),
  );
});

describe('a multi-device function whose model has no pipeline stages', () => {
  const slow = { profile: { execMsByBatch: { '1': 150 }, memoryBytes: MB } };
  it.each<[string, Partial<CategorizeInput>, Mode]>([
    ['latency, cannot split', { ...slow, kindCanSplit: false }, Mode.Dp],
    ['frequency, cannot split', { ...slow, kindCanSplit: false, observedRps: 10 }, Mode.Batch],
    ['a pp hint', { ...slow, kindCanSplit: false, hints: { mode: Mode.Pp } }, Mode.Dp],
    ['an sp hint on a kind that cannot split', { ...slow, kindCanSplit: false, hints: { mode: Mode.Sp } }, Mode.Dp],
  ])('%s: served whole (%s), and the reason says why', (_name, over, mode) => {
    const d = categorize(input({ ...over, hasStages: false }));
    expect(d.footprint).toBe(Footprint.Multi);
    expect(d.mode).toBe(mode);
    expect(d.reason).toMatch(/no pipeline stages/);
  });
});

describe(categorize.name, () => {
  it.each<[string, Partial<CategorizeInput>, Sensitivity, Footprint, Mode]>([
    ['sparse, small', { expectedRps: 4 }, 'latency', 'single', 'dp'],
    ['no rate at all', {}, 'latency', 'single', 'dp'],
    ['load exactly 0.5', { expectedRps: 50 / 3 }, 'frequency', 'single', 'batch'],
    ['observed wins over expected', { expectedRps: 100, observedRps: 1 }, 'latency', 'single', 'dp'],
    ['camera stream', { observedRps: 30 }, 'frequency', 'single', 'batch'],
    ['too big for any device', { profile: { execMsByBatch: { '1': 30 }, memoryBytes: 3 * GB } }, 'latency', 'multi', 'sp'],
    [
      'too big, cannot split',
      { profile: { execMsByBatch: { '1': 30 }, memoryBytes: 3 * GB }, kindCanSplit: false },
      'latency',
      'multi',
      'pp',
    ],
    ['batch 1 misses the SLO', { profile: { execMsByBatch: { '1': 150 }, memoryBytes: MB } }, 'latency', 'multi', 'sp'],
    ['big and busy', { observedRps: 10, profile: { execMsByBatch: { '1': 150 }, memoryBytes: MB } }, 'frequency', 'multi', 'pp'],
    ['no free info: total counts', { devices: [{ memoryBytes: 8 * GB }], hints: { memoryBytes: 5 * GB } }, 'latency', 'single', 'dp'],
    ['batch 1 not measured: smallest size', { profile: { execMsByBatch: { '4': 120 }, memoryBytes: MB } }, 'latency', 'multi', 'sp'],
  ])('%s', (_name, over, sensitivity, footprint, mode) => {
    const d = categorize(input(over));
    expect({ sensitivity: d.sensitivity, footprint: d.footprint, mode: d.mode }).toEqual({ sensitivity, footprint, mode });
    expect(d.pinned).toBe(false);
    expect(d.reason.startsWith(`${sensitivity} × ${footprint} → ${mode}: `)).toBe(true);
  });

  it('states the numbers it used', () => {
    const d = categorize(input({ expectedRps: 4 }));
    expect(d.reason).toBe(
      'latency × single → dp: load 0.12 (rate 4 rps expected × 30 ms) < 0.5; ' +
        'memory 9.4 MB (profile) fits the largest device (2 GB free); batch-1 30 ms ≤ SLO 100 ms',
    );
    expect(d.load).toBeCloseTo(0.12);
    expect(d.provisional).toBe(false);
  });

  it.each([
    // [previous sensitivity, load, expected]: switching needs 0.6 up and 0.4 down.
    [Sensitivity.Latency, 0.55, Sensitivity.Latency],
    [Sensitivity.Latency, 0.6, Sensitivity.Frequency],
    [Sensitivity.Frequency, 0.45, Sensitivity.Frequency],
    [Sensitivity.Frequency, 0.4, Sensitivity.Latency],
    [Sensitivity.Frequency, 0.3, Sensitivity.Latency],
  ])('hysteresis: was %s, load %p → %s', (was, load, expected) => {
    const d = categorize(
      input({
        observedRps: load * 1000,
        profile: { execMsByBatch: { '1': 1 }, memoryBytes: MB },
        previous: { sensitivity: was, footprint: Footprint.Single },
      }),
    );
    expect(d.sensitivity).toBe(expected);
    expect(d.reason).toContain(`hysteresis, was ${was}`);
  });

  it.each([
    // [held for ms, load 0.9 after latency]: a sensitivity set under 30 s ago stays.
    [5_000, Sensitivity.Latency],
    [29_999, Sensitivity.Latency],
    [30_000, Sensitivity.Frequency],
    [undefined, Sensitivity.Frequency],
  ])('dwell: latency held %p ms, load 0.9 → %s', (heldForMs, expected) => {
    const d = categorize(
      input({
        observedRps: 900,
        profile: { execMsByBatch: { '1': 1 }, memoryBytes: MB },
        previous: { sensitivity: Sensitivity.Latency, footprint: Footprint.Single, heldForMs },
      }),
    );
    expect(d.sensitivity).toBe(expected);
    if (expected === Sensitivity.Latency) expect(d.reason).toMatch(/held latency: it was set [\d.]+ s ago \(< 30 s dwell\)/);
  });

  it.each([
    // memory need vs largest free (2 GB): leaving multi needs ≤ 1.8 GB.
    [Footprint.Multi, 1.9 * GB, Footprint.Multi],
    [Footprint.Multi, 1.7 * GB, Footprint.Single],
    [Footprint.Single, 1.9 * GB, Footprint.Single],
    [Footprint.Single, 2.1 * GB, Footprint.Multi],
  ])('footprint hysteresis: was %s, memory %p → %s', (was, memoryBytes, expected) => {
    const d = categorize(
      input({
        profile: { execMsByBatch: { '1': 30 }, memoryBytes },
        previous: { sensitivity: Sensitivity.Latency, footprint: was },
      }),
    );
    expect(d.footprint).toBe(expected);
  });

  it.each<[Partial<CategorizeInput>, Mode, Sensitivity, Footprint, string]>([
    [{ hints: { mode: Mode.Batch } }, Mode.Batch, 'latency', 'single', 'mode pinned by hint (category gives dp)'],
    [{ hints: { sensitivity: Sensitivity.Frequency } }, Mode.Batch, 'frequency', 'single', 'sensitivity pinned by hint (measured latency)'],
    [{ hints: { footprint: Footprint.Multi } }, Mode.Sp, 'latency', 'multi', 'footprint pinned by hint (measured single)'],
    [{ hints: { mode: Mode.Sp }, kindCanSplit: false }, Mode.Pp, 'latency', 'single', 'hint mode sp cannot apply'],
  ])('hints pin: %o → %s', (over, mode, sensitivity, footprint, why) => {
    const d = categorize(input(over));
    expect(d).toMatchObject({ mode, sensitivity, footprint, pinned: true });
    expect(d.reason).toContain(why);
  });

  it.each([
    ['estimate from the file', {}, 'memory 8 MB (estimate 2 × file 4 MB) fits'],
    ['memory hint', { hints: { memoryBytes: 3 * GB } }, 'memory 3 GB (hint) exceeds'],
  ])('no profile: provisional, %s', (_name, over, why) => {
    const d = categorize(input({ profile: undefined, expectedRps: 1000, ...over }));
    expect(d.provisional).toBe(true);
    expect(d.load).toBe(0);
    expect(d.sensitivity).toBe(Sensitivity.Latency);
    expect(d.reason).toContain('provisional: no profile yet');
    expect(d.reason).toContain(why);
  });

  it('no devices: assumed to fit', () => {
    const d = categorize(input({ devices: [] }));
    expect(d.footprint).toBe(Footprint.Single);
    expect(d.reason).toContain('no device known');
  });
});
