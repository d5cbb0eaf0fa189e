import { fmtBytes, fmtList, fmtMs, fmtNum } from './format';

describe(fmtNum.name, () => {
  it.each([
    [0.123, '0.12'],
    [4, '4'],
    [3.1, '3.1'],
    [12.34, '12.3'],
    [150.6, '151'],
    [-0.001, '0'],
    [Infinity, '∞'],
  ])('%p → %s', (x, s) => expect(fmtNum(x)).toBe(s));
});

describe(fmtMs.name, () => {
  it('adds the unit', () => expect(fmtMs(30)).toBe('30 ms'));
});

describe(fmtBytes.name, () => {
  it.each([
    [512, '512 B'],
    [9.4e6, '9.4 MB'],
    [2e9, '2 GB'],
    [1500, '1.5 kB'],
  ])('%p → %s', (b, s) => expect(fmtBytes(b)).toBe(s));
});

describe(fmtList.name, () => {
  it.each([
    [['a', 'b'], 'a, b'],
    [['a', 'b', 'c', 'd'], 'a, b …and 2 more'],
  ])('%p → %s', (items, s) => expect(fmtList(items, 2)).toBe(s));
});
