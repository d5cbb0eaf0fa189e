import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { cutImageForDetector, decodeForDetector, preprocessImage, tileBoxToImage } from './index';

const page = readFileSync(join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'text-page.png'));

describe('cutImageForDetector (sp bands)', () => {
  it('cuts bands that are exact windows of the whole image input, which workers then feed without resizing', async () => {
    const whole = await decodeForDetector(page);
    // Band heights on the detector's stride (32), as the gateway's planTiles(align: DET_STRIDE) cuts them.
    const band = (h: number) => Math.ceil((h / 2 + 16) / 32) * 32;
    const cut = await cutImageForDetector(page, (w, h) => [
      { x: 0, y: 0, width: w, height: band(h) },
      { x: 0, y: h - band(h), width: w, height: band(h) },
    ]);
    expect([cut.inputWidth, cut.inputHeight, cut.scaleX, cut.scaleY]).toEqual([
      whole.inputWidth,
      whole.inputHeight,
      whole.scaleX,
      whole.scaleY,
    ]);
    expect(cut.tiles).toHaveLength(2);
    for (const { rect, png } of cut.tiles) {
      const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
      expect([info.width, info.height, info.channels]).toEqual([rect.width, rect.height, 3]);
      const rowBytes = whole.inputWidth * 3;
      expect(data.equals(whole.rgb.subarray(rect.y * rowBytes, (rect.y + rect.height) * rowBytes))).toBe(true);
      // The band is already at the detector's size: its own preprocess keeps it 1:1.
      const fed = await preprocessImage(png);
      expect(fed.tensor.shape).toEqual([1, 3, rect.height, rect.width]);
      expect([fed.scaleX, fed.scaleY]).toEqual([1, 1]);
    }
  });

  it('rejects what is not an image with a 400', async () => {
    await expect(cutImageForDetector(Buffer.from('not an image'), () => [])).rejects.toMatchObject({ code: 400 });
  });
});

describe('tileBoxToImage', () => {
  it('offsets by the band, scales to original pixels rounding outwards, and clips to the image', () => {
    const image = { scaleX: 2, scaleY: 2.5, width: 1000, height: 500 };
    const rect = { x: 0, y: 100, width: 480, height: 96 };
    expect(tileBoxToImage({ x: 10.2, y: 4, width: 20, height: 8, score: 0.9 }, rect, image)).toEqual({
      x: 20,
      y: 260,
      width: 41,
      height: 20,
      score: 0.9,
    });
    expect(tileBoxToImage({ x: 470, y: 90, width: 30, height: 20, score: 0.5 }, rect, image)).toEqual({
      x: 940,
      y: 475,
      width: 60,
      height: 25,
      score: 0.5,
    });
  });
});
