import { batch1ExecMs, parseExecTable } from './exec-table';

describe(parseExecTable.name, () => {
  it.each([
    [{ '4': 10, '1': 3, '2': 5 }, [1, 2, 4], [3, 5, 10]],
    [{ x: 1, '0': 1, '1.5': 2, '2': NaN, '3': -1, '8': 20 }, [8], [20]],
    [undefined, [], []],
  ])('%o → sizes %p', (rec, sizes, ms) => expect(parseExecTable(rec)).toEqual({ sizes, ms }));
});

describe(batch1ExecMs.name, () => {
  it.each([
    [{ '1': 3, '8': 10 }, 3],
    [{ '4': 9, '8': 10 }, 9],
    [{}, undefined],
  ])('%o → %p', (rec, ms) => expect(batch1ExecMs(rec)).toBe(ms));
});
