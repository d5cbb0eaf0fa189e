import { fromHalf, fromJsonArray, toHalf, toJsonArray } from './tensor';

describe('FP16 (half precision) values', () => {
  it.each([
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff], // largest half
    [65520, 0x7c00], // rounds past it: Infinity
    [2 ** -24, 0x0001], // smallest subnormal
    [1e-9, 0x0000], // underflows to zero
    [0.1, 0x2e66],
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
  ])('%p ↔ bits 0x%s', (value, bits) => {
    expect(toHalf(value)).toBe(bits);
    if (Number.isFinite(value) && value !== 65520 && value !== 1e-9) expect(fromHalf(bits)).toBe(value === 0.1 ? 0.0999755859375 : value);
  });

  it('keeps NaN a NaN, and rounds ties to even', () => {
    expect(Number.isNaN(fromHalf(toHalf(NaN)))).toBe(true);
    expect(toHalf(1 + 2 ** -11)).toBe(0x3c00); // halfway between 1 and the next half: to the even one
    expect(toHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
  });

  it('carries FP16 tensors through JSON', () => {
    const data = fromJsonArray('FP16', [1, 2.5, -3, 0.1], 'x');
    expect(data).toBeInstanceOf(Uint16Array);
    expect(toJsonArray('FP16', data)).toEqual([1, 2.5, -3, 0.0999755859375]);
    expect(() => fromJsonArray('FP16', ['a'], 'x')).toThrow('x: element 0 ("a") is not a number');
  });
});
