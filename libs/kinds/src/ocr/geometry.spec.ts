import { convexHull, lineCrop, minAreaRect, orderQuad, type Quad, rectCorners, rectToQuad, warpQuad } from './geometry';

const close = (a: number, b: number, eps = 1e-6) => Math.abs(a - b) < eps;

describe('convexHull', () => {
  it('keeps the corners of a square and drops inner and collinear points', () => {
    const hull = convexHull([
      { x: 0, y: 0 },
      { x: 2, y: 0 },
      { x: 4, y: 0 },
      { x: 4, y: 4 },
      { x: 0, y: 4 },
      { x: 2, y: 2 },
    ]);
    expect(hull).toHaveLength(4);
    expect(hull).toEqual(
      expect.arrayContaining([
        { x: 0, y: 0 },
        { x: 4, y: 0 },
        { x: 4, y: 4 },
        { x: 0, y: 4 },
      ]),
    );
  });
});

describe('minAreaRect', () => {
  it('finds the rotated rectangle a tilted line fills, not its larger axis-aligned box', () => {
    const angle = (10 * Math.PI) / 180;
    const rect = { cx: 50, cy: 30, ux: Math.cos(angle), uy: Math.sin(angle), width: 80, height: 12 };
    const corners = rectCorners(rect);
    const found = minAreaRect(corners);
    expect(close(found.width * found.height, 80 * 12, 1e-3)).toBe(true);
    expect(close(found.cx, 50, 1e-6) && close(found.cy, 30, 1e-6)).toBe(true);
    expect([found.width, found.height].sort((a, b) => a - b).map((v) => Math.round(v))).toEqual([12, 80]);
  });
});

describe('orderQuad', () => {
  it('orders corners top-left, top-right, bottom-right, bottom-left whatever their input order', () => {
    const q = orderQuad([
      { x: 10, y: 12 },
      { x: 0, y: 10 },
      { x: 0, y: 0 },
      { x: 10, y: 2 },
    ]);
    expect(q).toEqual([
      { x: 0, y: 0 },
      { x: 10, y: 2 },
      { x: 10, y: 12 },
      { x: 0, y: 10 },
    ]);
  });
});

describe('rectToQuad', () => {
  it('maps the rectangle corners onto the quad corners', () => {
    const q: Quad = [
      { x: 5, y: 3 },
      { x: 40, y: 8 },
      { x: 38, y: 30 },
      { x: 2, y: 25 },
    ];
    const [a, b, c, d, e, f, g, h] = rectToQuad(100, 48, q);
    const map = (x: number, y: number) => {
      const w = g * x + h * y + 1;
      return { x: (a * x + b * y + c) / w, y: (d * x + e * y + f) / w };
    };
    [map(0, 0), map(100, 0), map(100, 48), map(0, 48)].forEach((p, i) => {
      expect(close(p.x, q[i].x, 1e-6) && close(p.y, q[i].y, 1e-6)).toBe(true);
    });
  });
});

describe('warpQuad', () => {
  it('copies an axis-aligned quad pixel for pixel', () => {
    const width = 6;
    const height = 4;
    const data = Uint8Array.from({ length: width * height * 3 }, (_, i) => i % 251);
    const q: Quad = [
      { x: 1, y: 1 },
      { x: 5, y: 1 },
      { x: 5, y: 3 },
      { x: 1, y: 3 },
    ];
    const out = new Uint8Array(4 * 2 * 3);
    warpQuad({ data, width, height }, q, 4, 2, out, 4);
    for (let y = 0; y < 2; y++)
      for (let x = 0; x < 4; x++)
        for (let c = 0; c < 3; c++) expect(out[(y * 4 + x) * 3 + c]).toBe(data[((y + 1) * width + x + 1) * 3 + c]);
  });
});

describe('lineCrop', () => {
  const box = (w: number, h: number): Quad => [
    { x: 0, y: 0 },
    { x: w, y: 0 },
    { x: w, y: h },
    { x: 0, y: h },
  ];

  it('keeps the aspect ratio at height 48, rounded up', () => {
    expect(lineCrop(box(100, 20), 48, 1536)).toEqual({ corners: box(100, 20), width: 240 });
    expect(lineCrop(box(101, 20), 48, 1536).width).toBe(243);
  });

  it('turns a vertical line by 90° (the old top-right corner first), as PP-OCR does from 1.5× taller than wide', () => {
    const tall = box(20, 30);
    expect(lineCrop(tall, 48, 1536)).toEqual({ corners: [tall[1], tall[2], tall[3], tall[0]], width: 72 });
    expect(lineCrop(box(20, 29), 48, 1536).corners).toEqual(box(20, 29));
  });

  it('squeezes a line wider than the maximum into it', () => {
    expect(lineCrop(box(4000, 20), 48, 1536).width).toBe(1536);
  });
});
