import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DET_STRIDE, decodeForDetector } from './preprocess';
import { MAX_SPLIT_TILES, mergeSplitDetections, splitImageForDetector } from './split-image';
import type { DetectorTiles } from './tiles';

const page = readFileSync(join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'text-page.png'));

describe(splitImageForDetector.name, () => {
  it('cuts one overlapping, stride-aligned band per device that together cover the detector input', async () => {
    const whole = await decodeForDetector(page);

    const sut = await splitImageForDetector(page, 2);

    expect([sut.inputWidth, sut.inputHeight]).toEqual([whole.inputWidth, whole.inputHeight]);
    expect(sut.tiles).toHaveLength(2);
    const [top, bottom] = sut.tiles.map((t) => t.rect);
    for (const r of [top, bottom]) {
      expect(r).toMatchObject({ x: 0, width: whole.inputWidth });
      expect(r.y % DET_STRIDE).toBe(0);
    }
    expect(top.y).toBe(0);
    expect(bottom.y + bottom.height).toBe(whole.inputHeight);
    expect(bottom.y).toBeLessThan(top.y + top.height);
  });

  it(`cuts at most ${MAX_SPLIT_TILES} bands however many devices there are`, async () => {
    const sut = await splitImageForDetector(page, 16);

    expect(sut.tiles.length).toBeLessThanOrEqual(MAX_SPLIT_TILES);
  });

  it('rejects what is not an image with a 400', async () => {
    await expect(splitImageForDetector(Buffer.from('not an image'), 2)).rejects.toMatchObject({ code: 400 });
  });
});

describe(mergeSplitDetections.name, () => {
  it("maps each tile's boxes to original pixels and merges the copies of one object found in the overlap", () => {
    const image: DetectorTiles = {
      scaleX: 2,
      scaleY: 2,
      width: 1000,
      height: 800,
      inputWidth: 500,
      inputHeight: 400,
      tiles: [
        { rect: { x: 0, y: 0, width: 500, height: 224 }, png: Buffer.alloc(0) },
        { rect: { x: 0, y: 192, width: 500, height: 208 }, png: Buffer.alloc(0) },
      ],
    };
    const inOverlap = { x: 10, y: 200, width: 40, height: 20, score: 0.9 };

    const sut = mergeSplitDetections(image, [[inOverlap, { x: 100, y: 10, width: 50, height: 10, score: 0.8 }], [{ ...inOverlap, y: 8 }]]);

    expect(sut).toHaveLength(2);
    expect(sut).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ x: 20, y: 400, width: 80, height: 40 }),
        expect.objectContaining({ x: 200, y: 20, width: 100, height: 20 }),
      ]),
    );
  });
});
