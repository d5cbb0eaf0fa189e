import { UsageError } from './cli-io';
import { OptionSpec, parseArgs, parseHeaderOption } from './args';

const specs: OptionSpec[] = [
  { name: 'json', kind: 'flag', help: '' },
  { name: 'data', kind: 'string', value: 'FILE|-', help: '' },
  { name: 'count', kind: 'int', value: 'N', help: '' },
  { name: 'header', kind: 'list', value: 'K:V', help: '' },
];

describe(parseArgs.name, () => {
  it.each([
    [['a', 'b'], ['a', 'b'], {}],
    [['--json', 'a'], ['a'], { json: true }],
    [['a', '--data', 'x.json'], ['a'], { data: 'x.json' }],
    [['--data=x.json', 'a'], ['a'], { data: 'x.json' }],
    [['--data', '-'], [], { data: '-' }],
    [['-', 'a'], ['-', 'a'], {}],
    [['--count', '3'], [], { count: 3 }],
    [['--header', 'A:1', '--header=B:2'], [], { header: ['A:1', 'B:2'] }],
    [['a', '--', '--json', '-x'], ['a', '--json', '-x'], {}],
    [['-h'], [], { help: true }],
  ])('%j → positionals %j, options %j', (argv, positionals, options) => {
    const sut = parseArgs(argv, specs);
    expect(sut.positionals).toEqual(positionals);
    expect(Object.fromEntries(sut.options)).toEqual(options);
  });

  it.each([
    [['--nope'], 'unknown option --nope for `epara kv get`; it takes --json, --data, --count, --header, --help'],
    [['-x'], 'unknown option -x for `epara kv get` (options are long: --name)'],
    [['--data'], '--data needs a value (FILE|-)'],
    [['--count', 'many'], '--count must be a whole number ≥ 0, got "many"'],
    [['--count=-1'], '--count must be a whole number ≥ 0, got "-1"'],
    [['--json=yes'], '--json takes no value (got "yes")'],
  ])('%j → usage error naming the option', (argv, message) => {
    expect(() => parseArgs(argv, specs, ['kv', 'get'])).toThrow(new UsageError(message));
  });
});

describe(parseHeaderOption.name, () => {
  it.each([
    ['Epara-Deadline:1735689600000', ['Epara-Deadline', '1735689600000']],
    ['X-Callback-Url: http://a:1/b', ['X-Callback-Url', 'http://a:1/b']],
    ['Empty:', ['Empty', '']],
  ])('%s → %j', (raw, pair) => expect(parseHeaderOption(raw)).toEqual(pair));

  it.each(['no-colon', ':value', 'Two Words:x'])('%s → usage error', (raw) => {
    expect(() => parseHeaderOption(raw)).toThrow(/--header must look like Name:value/);
  });
});
