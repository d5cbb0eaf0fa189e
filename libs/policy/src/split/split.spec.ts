import { iou, mergeTileBoxes } from './merge-boxes';
import { planTiles } from './plan-tiles';

describe(planTiles.name, () => {
  it.each([
    [
      1000,
      800,
      2,
      100,
      [
        [0, 450],
        [350, 450],
      ],
    ],
    [1000, 800, 1, 100, [[0, 800]]],
    [1000, 150, 4, 100, [[0, 150]]],
  ])('%i×%i in %i parts, overlap %i → bands [top, height]', (w, h, parts, overlapPx, expected) => {
    expect(planTiles(w, h, { parts, overlapPx }).map((t) => [t.y, t.height])).toEqual(expected);
  });

  it('puts band edges on multiples of `align`', () => {
    const tiles = planTiles(1920, 1280, { parts: 2, overlapPx: 128, align: 64 });
    expect(tiles.map((t) => [t.y, t.height])).toEqual([
      [0, 704],
      [576, 704],
    ]);
  });

  it('covers every row, and neighbours share at least the overlap', () => {
    const tiles = planTiles(640, 999, { parts: 3, overlapPx: 64 });
    expect(tiles[0].y).toBe(0);
    expect(tiles[tiles.length - 1].y + tiles[tiles.length - 1].height).toBe(999);
    for (let i = 1; i < tiles.length; i++) expect(tiles[i - 1].y + tiles[i - 1].height - tiles[i].y).toBeGreaterThanOrEqual(64);
  });
});

describe(mergeTileBoxes.name, () => {
  it('joins one line seen whole in both tiles, and one cut by a tile edge', () => {
    const whole = { x: 10, y: 400, width: 300, height: 40, score: 0.9 };
    const cut = { x: 12, y: 460, width: 280, height: 20, score: 0.8 };
    const complete = { x: 10, y: 455, width: 290, height: 38, score: 0.95 };
    const merged = mergeTileBoxes([
      [whole, cut],
      [{ ...whole, x: 11 }, complete],
    ]);
    expect(merged).toHaveLength(2);
    expect(iou(merged[1], complete)).toBeGreaterThan(0.9);
  });

  it('keeps separate objects apart', () => {
    const a = { x: 0, y: 0, width: 100, height: 20, score: 1 };
    const b = { x: 0, y: 40, width: 100, height: 20, score: 1 };
    expect(mergeTileBoxes([[a], [b]])).toHaveLength(2);
  });
});
