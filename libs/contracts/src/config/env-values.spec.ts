import { parseBooleanEnv, parseNumberEnv } from './env-values';

describe(parseBooleanEnv.name, () => {
  it.each([
    ['1', true],
    ['true', true],
    ['TRUE', true],
    ['On', true],
    ['yes', true],
    [' yes ', true],
    ['0', false],
    ['false', false],
    ['False', false],
    ['off', false],
    ['NO', false],
  ])('%j → %s', (raw, expected) => {
    expect(parseBooleanEnv('EPARA_X', raw)).toBe(expected);
  });

  it.each(['', ' ', 'ture', 'y', 'n', '2', 'enabled', 'truee'])('%j throws naming the variable and the accepted words', (raw) => {
    expect(() => parseBooleanEnv('EPARA_DIRECT_REPLY', raw)).toThrow(
      'EPARA_DIRECT_REPLY must be one of 1/true/on/yes/0/false/off/no (any case)',
    );
  });
});

describe(parseNumberEnv.name, () => {
  it('reads integers and decimals within the bounds', () => {
    expect(parseNumberEnv('EPARA_X', '8080', { integer: true, min: 0, max: 65535 })).toBe(8080);
    expect(parseNumberEnv('EPARA_X', ' 0 ', { integer: true, min: 0 })).toBe(0);
    expect(parseNumberEnv('EPARA_X', '-3', { integer: true })).toBe(-3);
    expect(parseNumberEnv('EPARA_X', '0.25', { min: 0, max: 1 })).toBe(0.25);
    expect(parseNumberEnv('EPARA_X', '.5')).toBe(0.5);
    expect(parseNumberEnv('EPARA_X', '2.')).toBe(2);
  });

  it.each(['', ' ', '12abc', 'NaN', 'Infinity', '0x10', '1e3', '1.5', '--1', '9007199254740993'])(
    '%j is not an integer: throws naming the variable and the range',
    (raw) => {
      expect(() => parseNumberEnv('EPARA_MAX_QUEUE', raw, { integer: true, min: 1, max: 1_000_000 })).toThrow(
        'EPARA_MAX_QUEUE must be an integer from 1 to 1000000',
      );
    },
  );

  it.each(['', 'abc', 'NaN', '1,5', '1e3'])('%j is not a number: throws naming the variable', (raw) => {
    expect(() => parseNumberEnv('EPARA_RATIO', raw)).toThrow('EPARA_RATIO must be a number');
  });

  it('names the bound a value is outside of', () => {
    expect(() => parseNumberEnv('EPARA_X', '0', { integer: true, min: 1 })).toThrow('EPARA_X must be an integer of at least 1');
    expect(() => parseNumberEnv('EPARA_X', '5', { max: 4 })).toThrow('EPARA_X must be a number of at most 4');
    expect(() => parseNumberEnv('EPARA_X', '65536', { integer: true, min: 0, max: 65535 })).toThrow(
      'EPARA_X must be an integer from 0 to 65535',
    );
  });
});
