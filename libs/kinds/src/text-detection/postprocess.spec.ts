import { mulberry32 } from '@epara/runtime';
import { boxesDocument, detectTextRegions, postprocessBoxes } from './index';

/** A probability map with the given rectangles (inclusive-exclusive map coordinates) set to `p`. */
function mapWith(width: number, height: number, rects: { x0: number; y0: number; x1: number; y1: number; p: number }[]): Float32Array {
  const map = new Float32Array(width * height);
  for (const r of rects) for (let y = r.y0; y < r.y1; y++) map.fill(r.p, y * width + r.x0, y * width + r.x1);
  return map;
}

/** The model ran at half the image's resolution: a 100x50 map for a 200x100 image. */
const HALF = { scaleX: 2, scaleY: 2, width: 200, height: 100 };

describe('postprocessBoxes', () => {
  it('finds two rectangles, grows them by the DB unclip distance, and maps them to image pixels', () => {
    const map = mapWith(100, 50, [
      { x0: 10, y0: 5, x1: 40, y1: 15, p: 0.9 }, // 30x10: grow = 300 * 1.6 / 80 = 6
      { x0: 50, y0: 30, x1: 90, y1: 40, p: 0.8 }, // 40x10: grow = 400 * 1.6 / 100 = 6.4
    ]);
    const boxes = postprocessBoxes(map, 100, 50, HALF);
    expect(boxes).toHaveLength(2);
    // (10-6)*2 = 8, (5-6)*2 clipped to 0, (40+6)*2 = 92, (15+6)*2 = 42.
    expect(boxes[0]).toMatchObject({ x: 8, y: 0, width: 84, height: 42 });
    expect(boxes[0].score).toBeCloseTo(0.9, 6);
    // (50-6.4)*2 = 87.2 -> 87, (30-6.4)*2 = 47.2 -> 47, (90+6.4)*2 = 192.8 -> 193, (40+6.4)*2 = 92.8 -> 93.
    expect(boxes[1]).toMatchObject({ x: 87, y: 47, width: 106, height: 46 });
    expect(boxes[1].score).toBeCloseTo(0.8, 6);
  });

  it('with unclipRatio 0 gives the exact scaled bounding boxes', () => {
    const map = mapWith(100, 50, [{ x0: 10, y0: 5, x1: 40, y1: 15, p: 0.9 }]);
    expect(postprocessBoxes(map, 100, 50, HALF, { unclipRatio: 0 })).toEqual([
      { x: 20, y: 10, width: 60, height: 20, score: expect.closeTo(0.9, 6) },
    ]);
  });

  it('clips grown boxes to the image', () => {
    const map = mapWith(100, 50, [{ x0: 0, y0: 0, x1: 100, y1: 50, p: 0.95 }]);
    expect(postprocessBoxes(map, 100, 50, HALF)).toMatchObject([{ x: 0, y: 0, width: 200, height: 100 }]);
  });

  it('finds nothing in noise below the threshold', () => {
    const random = mulberry32(42);
    const noise = Float32Array.from({ length: 100 * 50 }, () => random() * 0.29);
    expect(postprocessBoxes(noise, 100, 50, HALF)).toEqual([]);
  });

  it('drops regions under minArea and regions whose mean score is under boxThreshold', () => {
    const map = mapWith(100, 50, [
      { x0: 5, y0: 5, x1: 8, y1: 10, p: 0.99 }, // 15 pixels < minArea 16
      { x0: 20, y0: 20, x1: 60, y1: 30, p: 0.4 }, // above threshold 0.3, mean 0.4 < boxThreshold 0.5
      { x0: 70, y0: 40, x1: 90, y1: 45, p: 0.7 }, // kept
    ]);
    const boxes = postprocessBoxes(map, 100, 50, HALF);
    expect(boxes).toHaveLength(1);
    expect(boxes[0].score).toBeCloseTo(0.7, 6);
    expect(postprocessBoxes(map, 100, 50, HALF, { minArea: 10, boxThreshold: 0.3 })).toHaveLength(3);
  });

  it('joins diagonal neighbours (8-connectivity) into one region', () => {
    const map = new Float32Array(20 * 20);
    for (let i = 0; i < 20; i++) map[i * 20 + i] = 0.9;
    expect(postprocessBoxes(map, 20, 20, { scaleX: 1, scaleY: 1, width: 20, height: 20 }, { unclipRatio: 0 })).toMatchObject([
      { x: 0, y: 0, width: 20, height: 20 },
    ]);
  });

  it('orders boxes top to bottom, and left to right on one line', () => {
    const map = mapWith(200, 100, [
      { x0: 120, y0: 10, x1: 180, y1: 30, p: 0.9 }, // right word, 2 px higher than the left one
      { x0: 10, y0: 12, x1: 100, y1: 32, p: 0.9 }, // left word
      { x0: 10, y0: 60, x1: 60, y1: 80, p: 0.9 }, // next line
    ]);
    const boxes = postprocessBoxes(map, 200, 100, { scaleX: 1, scaleY: 1, width: 200, height: 100 }, { unclipRatio: 0 });
    expect(boxes.map((b) => [b.x, b.y])).toEqual([
      [10, 12],
      [120, 10],
      [10, 60],
    ]);
  });

  it('handles one region covering a large map without recursion', () => {
    const size = 1024;
    const map = new Float32Array(size * size).fill(0.9);
    const boxes = postprocessBoxes(map, size, size, { scaleX: 1, scaleY: 1, width: size, height: size });
    expect(boxes).toMatchObject([{ x: 0, y: 0, width: size, height: size }]);
  });

  it('rejects a map smaller than its stated size', () => {
    expect(() => postprocessBoxes(new Float32Array(10), 10, 10, HALF)).toThrow(/fewer than 10x10/);
  });
});

describe('boxesDocument', () => {
  it('counts the boxes and carries the time when given', () => {
    const boxes = [{ x: 1, y: 2, width: 3, height: 4, score: 0.9 }];
    expect(boxesDocument(boxes)).toEqual({ boxes, count: 1 });
    expect(boxesDocument([], 12.5)).toEqual({ boxes: [], count: 0, ms: 12.5 });
  });
});

describe('detectTextRegions', () => {
  it('gives an axis-aligned region the same rectangle as its quad, grown by the unclip distance and scaled', () => {
    const map = mapWith(100, 50, [{ x0: 10, y0: 20, x1: 40, y1: 30, p: 0.9 }]); // 30x10: grow 6
    const [region] = detectTextRegions(map, 100, 50, HALF);
    expect(region.quad.map((p) => [Math.round(p.x), Math.round(p.y)])).toEqual([
      [8, 28],
      [92, 28],
      [92, 72],
      [8, 72],
    ]);
  });

  it("follows a tilted line with a rotated rectangle (its area near the line's, not its bounding box's)", () => {
    const width = 200;
    const map = new Float32Array(width * 100);
    // A band 10 px thick along y = 20 + 0.25 x (about 14°).
    for (let x = 20; x < 180; x++) for (let y = 0; y < 10; y++) map[Math.floor(20 + 0.25 * x + y) * width + x] = 0.9;
    const [region] = detectTextRegions(map, width, 100, { scaleX: 1, scaleY: 1, width, height: 100 }, { unclipRatio: 0 });
    const [tl, tr, , bl] = region.quad;
    expect((tr.y - tl.y) / (tr.x - tl.x)).toBeCloseTo(0.25, 1);
    const side = Math.hypot(tr.x - tl.x, tr.y - tl.y) * Math.hypot(bl.x - tl.x, bl.y - tl.y);
    expect(side).toBeLessThan(0.5 * region.box.width * region.box.height);
  });

  it('drops a region thinner than minRectSide (a 1 px diagonal), which text detection keeps', () => {
    const map = new Float32Array(20 * 20);
    for (let i = 0; i < 20; i++) map[i * 20 + i] = 0.9;
    const ctx = { scaleX: 1, scaleY: 1, width: 20, height: 20 };
    expect(detectTextRegions(map, 20, 20, ctx, { unclipRatio: 0, minRectSide: 3 })).toEqual([]);
    expect(detectTextRegions(map, 20, 20, ctx, { unclipRatio: 0 })).toHaveLength(1);
  });
});
