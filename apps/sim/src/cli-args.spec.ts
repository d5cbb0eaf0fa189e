import { parseCliArgs, UsageError } from './cli-args';

describe(parseCliArgs.name, () => {
  it('parses a full command line', () => {
    expect(
      parseCliArgs([
        'w.json',
        '--policies',
        'epara,naive',
        '--devices=4',
        '--seed',
        '7',
        '--duration',
        '60',
        '--warmup',
        '5',
        '--out',
        'x',
        '--no-svg',
        '--brief',
        '--sweep',
      ]),
    ).toEqual({
      workload: 'w.json',
      policies: ['epara', 'naive'],
      devices: 4,
      seed: 7,
      durationS: 60,
      warmupS: 5,
      out: 'x',
      svg: false,
      detail: false,
      sweep: true,
      familyFrom: 1,
    });
  });

  it('takes --family without a workload file', () => {
    const a = parseCliArgs(['--family', '20', '--family-from=5', '--devices', '16']);
    expect(a).toMatchObject({ family: 20, familyFrom: 5, devices: 16, workload: '' });
  });

  it('defaults to all four policies', () =>
    expect(parseCliArgs(['w.json']).policies).toEqual(['epara', 'naive', 'static-batch', 'adaptive-batch']));

  it.each([
    [['w.json', '--policies', 'epara,fast'], '--policies: unknown fast; expected some of epara, naive, static-batch, adaptive-batch'],
    [['w.json', '--devices', '0'], '--devices needs an integer ≥ 1 (got "0")'],
    [['w.json', '--bogus'], 'unknown option --bogus'],
    [[], 'no workload file given'],
    [['a.json', 'b.json'], 'one workload file expected, got 2: a.json b.json'],
    [['--family', '0'], '--family needs an integer ≥ 1 (how many seeds) (got "0")'],
    [['w.json', '--family', '3'], '--family draws its workloads; no workload file expected (got w.json)'],
  ])('%p → %s', (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(UsageError);
    expect(() => parseCliArgs(argv)).toThrow(message);
  });
});
