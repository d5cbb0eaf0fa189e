import { LINE_HEIGHT, type LineCrops, linesTensorData, rotateLine180 } from './line-crops';
import { recognizerWidth } from './ocr-stages';

/** Two lines of `stride` columns; pixel values encode (line, x, y) so that moves can be checked. */
function crops(widths: number[], stride: number): LineCrops {
  const data = new Uint8Array(widths.length * LINE_HEIGHT * stride * 3);
  widths.forEach((w, i) => {
    for (let y = 0; y < LINE_HEIGHT; y++)
      for (let x = 0; x < w; x++) {
        const o = ((i * LINE_HEIGHT + y) * stride + x) * 3;
        data.set([x, y, 100 + i], o);
      }
  });
  return { data, widths: Int32Array.from(widths), stride };
}

describe('rotateLine180', () => {
  it('turns one line within its own width and leaves the others and the padding alone', () => {
    const c = crops([3, 5], 5);
    const before = c.data.slice();
    rotateLine180(c, 0);
    const px = (x: number, y: number, line = 0) =>
      Array.from(c.data.subarray(((line * LINE_HEIGHT + y) * 5 + x) * 3, ((line * LINE_HEIGHT + y) * 5 + x) * 3 + 3));
    expect(px(0, 0)).toEqual([2, LINE_HEIGHT - 1, 100]);
    expect(px(2, LINE_HEIGHT - 1)).toEqual([0, 0, 100]);
    expect(px(3, 0)).toEqual([0, 0, 0]);
    expect(c.data.subarray(LINE_HEIGHT * 5 * 3)).toEqual(before.subarray(LINE_HEIGHT * 5 * 3));
  });
});

describe('linesTensorData', () => {
  it('writes BGR planes normalized to [-1, 1] and pads each line with zeros after its width', () => {
    const c = crops([2], 4);
    const out = linesTensorData(c, 4, (w) => w);
    const plane = LINE_HEIGHT * 4;
    // Pixel (x=1, y=3) is RGB (1, 3, 100): plane 0 holds B, plane 2 holds R.
    expect(out[0 * plane + 3 * 4 + 1]).toBeCloseTo(100 / 127.5 - 1, 6);
    expect(out[1 * plane + 3 * 4 + 1]).toBeCloseTo(3 / 127.5 - 1, 6);
    expect(out[2 * plane + 3 * 4 + 1]).toBeCloseTo(1 / 127.5 - 1, 6);
    expect(out[3 * 4 + 2]).toBe(0);
    expect(out[3 * 4 + 3]).toBe(0);
  });

  it('squeezes a line wider than the input into it', () => {
    const c = crops([8], 8);
    const out = linesTensorData(c, 4, (w) => Math.min(4, w));
    // Column x of 4 samples source column 2x + 0.5: R channel (plane 2) holds the source x.
    expect(Array.from(out.subarray(2 * LINE_HEIGHT * 4, 2 * LINE_HEIGHT * 4 + 4)).map((v) => (v + 1) * 127.5)).toEqual(
      [0.5, 2.5, 4.5, 6.5].map((v) => expect.closeTo(v, 3)),
    );
  });
});

describe('recognizerWidth', () => {
  it('is the widest line, at least 320, rounded up to 32 (so similar requests share a batch)', () => {
    expect(recognizerWidth([100, 200])).toBe(320);
    expect(recognizerWidth([330, 12])).toBe(352);
    expect(recognizerWidth([])).toBe(320);
  });
});
