import { EparaError } from '@epara/contracts/errors';
import sharp from 'sharp';
import { DET_MEAN, DET_STD, preprocessImage } from './index';

/** A uniform colour image, encoded in the given format. */
function solid(
  width: number,
  height: number,
  rgb: [number, number, number],
  format: 'png' | 'jpeg' | 'webp' | 'gif' = 'png',
): Promise<Buffer> {
  const [r, g, b] = rgb;
  return sharp({ create: { width, height, channels: 3, background: { r, g, b } } })
    .toFormat(format, format === 'webp' ? { lossless: true } : {})
    .toBuffer();
}

/** Channel c of a [1,3,H,W] tensor at pixel index i. */
const at = (data: Float32Array, plane: number, c: number, i: number) => data[c * plane + i];

/** The normalized value of an 8-bit pixel value in model channel c (B, G, R). */
const normalized = (value: number, c: number) => (value / 255 - DET_MEAN[c]) / DET_STD[c];

async function expectBadInput(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EparaError);
  expect((error as EparaError).code).toBe(400);
  expect((error as EparaError).message).toMatch(pattern);
}

describe('preprocessImage', () => {
  it('gives x FP32 [1,3,H,W] with H and W snapped to multiples of 32 and the scales back', async () => {
    const out = await preprocessImage(await solid(100, 50, [10, 20, 30]));
    expect(out.tensor.name).toBe('x');
    expect(out.tensor.datatype).toBe('FP32');
    expect(out.tensor.shape).toEqual([1, 3, 64, 96]);
    expect(out.tensor.data).toBeInstanceOf(Float32Array);
    expect(out.tensor.data.length).toBe(3 * 64 * 96);
    expect(out).toMatchObject({ width: 100, height: 50 });
    expect(out.scaleX).toBeCloseTo(100 / 96, 10);
    expect(out.scaleY).toBeCloseTo(50 / 64, 10);
  });

  it('scales the longer side down to maxSide and keeps the aspect ratio', async () => {
    const big = await preprocessImage(await solid(2000, 1000, [0, 0, 0]));
    expect(big.tensor.shape).toEqual([1, 3, 480, 960]);
    const custom = await preprocessImage(await solid(2000, 1000, [0, 0, 0]), { maxSide: 640 });
    expect(custom.tensor.shape).toEqual([1, 3, 320, 640]);
  });

  it('never goes below minSide, and never scales small images up otherwise', async () => {
    const tiny = await preprocessImage(await solid(4, 2, [0, 0, 0]));
    expect(tiny.tensor.shape).toEqual([1, 3, 32, 32]);
    expect(tiny.scaleX).toBeCloseTo(4 / 32, 10);
    const wider = await preprocessImage(await solid(4, 2, [0, 0, 0]), { minSide: 64 });
    expect(wider.tensor.shape).toEqual([1, 3, 64, 64]);
    const small = await preprocessImage(await solid(300, 200, [0, 0, 0]));
    expect(small.tensor.shape).toEqual([1, 3, 192, 288]);
  });

  it('converts to BGR and normalizes (px/255 - mean) / std per channel', async () => {
    const { tensor } = await preprocessImage(await solid(64, 32, [255, 0, 128]));
    const data = tensor.data as Float32Array;
    const plane = 64 * 32;
    for (const i of [0, 100, plane - 1]) {
      expect(at(data, plane, 0, i)).toBeCloseTo(normalized(128, 0), 4); // B
      expect(at(data, plane, 1, i)).toBeCloseTo(normalized(0, 1), 4); // G
      expect(at(data, plane, 2, i)).toBeCloseTo(normalized(255, 2), 4); // R
    }
  });

  it('keeps pixel positions in CHW layout', async () => {
    // Left half black, right half white, 64x32: no resize, so the edge stays at column 32.
    const raw = Buffer.alloc(64 * 32 * 3);
    for (let y = 0; y < 32; y++) for (let x = 32; x < 64; x++) raw.fill(255, (y * 64 + x) * 3, (y * 64 + x) * 3 + 3);
    const png = await sharp(raw, { raw: { width: 64, height: 32, channels: 3 } })
      .png()
      .toBuffer();
    const data = (await preprocessImage(png)).tensor.data as Float32Array;
    const plane = 64 * 32;
    for (let c = 0; c < 3; c++) {
      expect(at(data, plane, c, 5 * 64 + 10)).toBeCloseTo(normalized(0, c), 4);
      expect(at(data, plane, c, 5 * 64 + 50)).toBeCloseTo(normalized(255, c), 4);
    }
  });

  it('accepts JPEG, WebP and grayscale PNG, and puts transparent pixels on white', async () => {
    expect((await preprocessImage(await solid(64, 64, [200, 200, 200], 'jpeg'))).tensor.shape).toEqual([1, 3, 64, 64]);
    expect((await preprocessImage(await solid(64, 64, [200, 200, 200], 'webp'))).tensor.shape).toEqual([1, 3, 64, 64]);

    const gray = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#808080' } })
      .toColourspace('b-w')
      .png()
      .toBuffer();
    expect((await sharp(gray).metadata()).channels).toBe(1);
    const grayOut = (await preprocessImage(gray)).tensor.data as Float32Array;
    expect(grayOut.length).toBe(3 * 32 * 32);
    expect(at(grayOut, 1024, 2, 0)).toBeCloseTo(normalized(128, 2), 4);

    const transparent = await sharp({ create: { width: 32, height: 32, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
      .png()
      .toBuffer();
    const clear = (await preprocessImage(transparent)).tensor.data as Float32Array;
    expect(at(clear, 1024, 0, 0)).toBeCloseTo(normalized(255, 0), 4);
  });

  it('rejects bytes that are not an image with EparaError 400, not a raw sharp error', async () => {
    await expectBadInput(preprocessImage(new TextEncoder().encode('definitely not an image')), /is not a PNG, JPEG or WebP image/);
    await expectBadInput(preprocessImage(new Uint8Array(0)), /is not a PNG, JPEG or WebP image/);
  });

  it('rejects truncated images and formats other than PNG, JPEG and WebP', async () => {
    const png = await solid(64, 64, [1, 2, 3]);
    await expectBadInput(preprocessImage(png.subarray(0, 60)), /is not a PNG, JPEG or WebP image/);
    await expectBadInput(preprocessImage(await solid(8, 8, [1, 2, 3], 'gif')), /format gif/);
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>');
    await expectBadInput(preprocessImage(svg), /format svg/);
  });
});
