import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expandDevices, loadWorkload, parseBytes, parseWorkload, WorkloadError } from './parse-workload';

/** A valid workload; each bad case below changes one thing in a copy of it. */
const valid = () => ({
  name: 'w',
  seed: 3,
  durationS: 10,
  warmupS: 2,
  devices: { count: 2, memoryBytes: '1GiB' },
  functions: [
    { name: 'cnn', profile: 'cnn', sloMs: 15 },
    { name: 'own', profile: { execMsByBatch: { '1': 2, '8': 9 }, memoryBytes: 1000, loadMs: 10 }, sloMs: 50, hints: { mode: 'batch' } },
  ],
  streams: [
    { function: 'cnn', arrival: { kind: 'poisson', rate: 10 } },
    { function: 'own', count: 3, arrival: { kind: 'gamma', rate: 5, cv: 3 } },
    { function: 'cnn', arrival: { kind: 'onoff', onMeanS: 1, offMeanS: 2, periodMs: 32 } },
  ],
});

type Raw = ReturnType<typeof valid> & Record<string, unknown>;

function problemsOf(mutate: (w: Raw) => void): string[] {
  const w = valid() as Raw;
  mutate(w);
  try {
    parseWorkload(w);
  } catch (e) {
    if (e instanceof WorkloadError) return e.problems;
    throw e;
  }
  return [];
}

describe(parseWorkload.name, () => {
  it('resolves profiles and applies defaults', () => {
    const sut = parseWorkload(valid());
    expect(sut.functions.map((f) => [f.name, f.profileName, f.profile.execMsByBatch['1'], f.batchable])).toEqual([
      ['cnn', 'cnn', 0.51, true],
      ['own', 'inline', 2, true],
    ]);
    expect(sut.functions[1].modelSizeBytes).toBe(500); // memoryBytes / 2
    expect(sut.devices).toEqual([{ count: 2, memoryBytes: 1024 ** 3, computeScale: 1, idPrefix: 'dev' }]);
    expect(sut.network).toEqual({ hopMs: 0.66, path: 'direct' });
    expect(sut.streams[1]).toMatchObject({ fnIndex: 1, count: 3, startS: 0, endS: 12 });
    expect(sut.streams[2].arrival).toEqual({ kind: 'onoff', onMeanS: 1, offMeanS: 2, periodMs: 32 });
  });

  it.each<[string, (w: Raw) => void, string]>([
    ['gamma cv ≤ 0', (w) => ((w.streams[1].arrival as Record<string, unknown>).cv = 0), 'streams[1].arrival.cv must be > 0 (got 0)'],
    ['rate missing', (w) => delete (w.streams[0].arrival as Record<string, unknown>).rate, 'streams[0].arrival.rate is required'],
    [
      'unknown arrival kind',
      (w) => ((w.streams[0].arrival as Record<string, unknown>).kind = 'weibull'),
      'streams[0].arrival.kind must be one of poisson, gamma, periodic, onoff, step, piecewise (got "weibull")',
    ],
    [
      'typo in a field',
      (w) => ((w.streams[0].arrival as Record<string, unknown>).rte = 3),
      'streams[0].arrival.rte is not a known field (expected one of: kind, rate)',
    ],
    [
      'stream names no function',
      (w) => (w.streams[2].function = 'nope'),
      'streams[2].function names no function: "nope" (functions: cnn, own)',
    ],
    [
      'unknown profile',
      (w) => (w.functions[0].profile = 'resnet'),
      'functions[0].profile names no profile: "resnet" is neither built in nor in "profiles"',
    ],
    [
      'bad batch size key',
      (w) => ((w.functions[1].profile as { execMsByBatch: Record<string, number> }).execMsByBatch = { x: 1 }),
      'functions[1].profile.execMsByBatch keys must be batch sizes (integers ≥ 1); got "x"',
    ],
    [
      'negative exec time',
      (w) => ((w.functions[1].profile as { execMsByBatch: Record<string, number> }).execMsByBatch = { '1': -2 }),
      'functions[1].profile.execMsByBatch.1 must be > 0 (got -2)',
    ],
    ['slo 0', (w) => (w.functions[0].sloMs = 0), 'functions[0].sloMs must be > 0 (got 0)'],
    ['duplicate function', (w) => (w.functions[1].name = 'cnn'), 'functions[1].name duplicates functions[0].name "cnn"'],
    ['bad function name', (w) => (w.functions[0].name = 'Has Space'), 'functions[0].name must be 1-63 characters'],
    [
      'bad hint mode',
      (w) => ((w.functions[1].hints as Record<string, unknown>).mode = 'fast'),
      'functions[1].hints.mode must be one of dp, batch, pp, sp (got "fast")',
    ],
    ['device count 0', (w) => (w.devices.count = 0), 'devices.count must be ≥ 1 (got 0)'],
    [
      'bad memory size',
      (w) => (w.devices.memoryBytes = 'lots'),
      'devices.memoryBytes must be bytes: a number or a size like "64MiB" or "4GB" (got "lots")',
    ],
    ['duration missing', (w) => delete (w as Record<string, unknown>).durationS, 'durationS is required'],
    ['unknown top-level field', (w) => (w.duration = 5), 'duration is not a known field'],
    [
      'onoff needs period or rate',
      (w) => delete (w.streams[2].arrival as Record<string, unknown>).periodMs,
      'streams[2].arrival needs exactly one of periodMs (a frame every periodMs while on) or rate (Poisson while on)',
    ],
    [
      'step until before at',
      (w) => (w.streams[0].arrival = { kind: 'step', base: 1, factor: 5, atS: 10, untilS: 5 } as never),
      'streams[0].arrival.untilS must be > 10 (got 5)',
    ],
    ['stream end before start', (w) => Object.assign(w.streams[0], { startS: 5, endS: 4 }), 'streams[0].endS must be > 5 (got 4)'],
    ['network path', (w) => (w.network = { path: 'udp' }), 'network.path must be one of direct, relay (got "udp")'],
  ])('%s → names the field', (_name, mutate, message) => {
    const problems = problemsOf(mutate);
    expect(problems.some((p) => p.startsWith(message))).toBe(true);
  });

  it('reports every problem at once, in the error message too', () => {
    const w = valid() as Raw;
    w.functions[0].sloMs = -1;
    (w.streams[1].arrival as Record<string, unknown>).cv = -3;
    let error: unknown;
    try {
      parseWorkload(w, 'my.json');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WorkloadError);
    expect((error as WorkloadError).message).toBe(
      'invalid my.json: 2 problems:\n  - functions[0].sloMs must be > 0 (got -1)\n  - streams[1].arrival.cv must be > 0 (got -3)',
    );
  });

  it('rejects a root that is not an object', () => {
    expect(() => parseWorkload([])).toThrow('(root) must be an object (got an array)');
  });

  it('parses every shipped workload', () => {
    const dir = join(__dirname, '..', '..', '..', 'bench', 'workloads');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files).toEqual(expect.arrayContaining(['mixed-poisson.json', 'mixed-bursty.json', 'load-step.json', 'scale-100.json']));
    for (const f of files) expect(() => loadWorkload(join(dir, f))).not.toThrow();
  });

  it('names the file when it is not JSON', () => {
    expect(() => loadWorkload(join(__dirname, 'profiles.ts'))).toThrow(/profiles\.ts: 1 problem:\n {2}- is not valid JSON/);
  });
});

describe(parseBytes.name, () => {
  it.each([
    ['64MiB', 64 * 1024 ** 2],
    ['4 GB', 4e9],
    ['1.5GiB', 1.5 * 1024 ** 3],
    ['1000', 1000],
    ['12 parsecs', undefined],
  ])('%s → %p', (s, v) => expect(parseBytes(s)).toBe(v));
});

describe(expandDevices.name, () => {
  const groups = [
    { count: 2, memoryBytes: 1, computeScale: 1, idPrefix: 'a' },
    { count: 1, memoryBytes: 2, computeScale: 2, idPrefix: 'b' },
  ];
  it('names devices per group', () => expect(expandDevices(groups).map((d) => d.id)).toEqual(['a-0', 'a-1', 'b-0']));
  it('spreads a count override over the groups in proportion', () => {
    const out = expandDevices(groups, 7);
    expect(out.filter((d) => d.id.startsWith('a')).length).toBe(5);
    expect(out.filter((d) => d.id.startsWith('b')).length).toBe(2);
  });
});
