/** A point in image pixels; pixel (i, j) covers [i, i+1) × [j, j+1). */
export interface Point {
  x: number;
  y: number;
}

/** Four corners: top-left, top-right, bottom-right, bottom-left (as PP-OCR orders its boxes). */
export type Quad = [Point, Point, Point, Point];

const cross = (o: Point, a: Point, b: Point) => (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);

/** Convex hull (Andrew's monotone chain), counter-clockwise in image axes, collinear points dropped. */
export function convexHull(points: readonly Point[]): Point[] {
  const sorted = [...points].sort((a, b) => a.x - b.x || a.y - b.y);
  if (sorted.length < 3) return sorted;
  const lower: Point[] = [];
  for (const p of sorted) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: Point[] = [];
  for (let i = sorted.length - 1; i >= 0; i--) {
    const p = sorted[i];
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], p) <= 0) upper.pop();
    upper.push(p);
  }
  return [...lower.slice(0, -1), ...upper.slice(0, -1)];
}

/** A rectangle of any rotation: its centre, its side lengths along `u` (unit vector) and the normal to `u`. */
export interface RotatedRect {
  cx: number;
  cy: number;
  /** Unit vector of the `width` side. */
  ux: number;
  uy: number;
  width: number;
  height: number;
}

/**
 * The minimum-area rectangle around the points (rotating calipers: one side of the optimum lies on a
 * hull edge), what OpenCV's minAreaRect gives PP-OCR for each text region.
 */
export function minAreaRect(points: readonly Point[]): RotatedRect {
  const hull = convexHull(points);
  if (hull.length === 0) throw new Error('minAreaRect of no points');
  let best: RotatedRect | undefined;
  let bestArea = Infinity;
  const edges =
    hull.length < 2
      ? [{ x: 1, y: 0 }]
      : hull.map((p, i) => ({ x: hull[(i + 1) % hull.length].x - p.x, y: hull[(i + 1) % hull.length].y - p.y }));
  for (const e of edges) {
    const len = Math.hypot(e.x, e.y);
    if (len === 0) continue;
    const ux = e.x / len;
    const uy = e.y / len;
    let minU = Infinity;
    let maxU = -Infinity;
    let minV = Infinity;
    let maxV = -Infinity;
    for (const p of hull) {
      const u = p.x * ux + p.y * uy;
      const v = -p.x * uy + p.y * ux;
      if (u < minU) minU = u;
      if (u > maxU) maxU = u;
      if (v < minV) minV = v;
      if (v > maxV) maxV = v;
    }
    const area = (maxU - minU) * (maxV - minV);
    if (area < bestArea) {
      bestArea = area;
      const cu = (minU + maxU) / 2;
      const cv = (minV + maxV) / 2;
      best = { cx: cu * ux - cv * uy, cy: cu * uy + cv * ux, ux, uy, width: maxU - minU, height: maxV - minV };
    }
  }
  return best ?? { cx: hull[0].x, cy: hull[0].y, ux: 1, uy: 0, width: 0, height: 0 };
}

/** The rectangle grown by `d` on every side. */
export function growRect(r: RotatedRect, d: number): RotatedRect {
  return { ...r, width: r.width + 2 * d, height: r.height + 2 * d };
}

/**
 * A quad's corners in PP-OCR's order (get_mini_boxes): of the two leftmost points the upper is the
 * top-left and the lower the bottom-left; of the two rightmost the upper is the top-right.
 */
export function orderQuad(points: readonly Point[]): Quad {
  const byX = [...points].sort((a, b) => a.x - b.x || a.y - b.y);
  const [l0, l1, r0, r1] = byX;
  const [tl, bl] = l0.y <= l1.y ? [l0, l1] : [l1, l0];
  const [tr, br] = r0.y <= r1.y ? [r0, r1] : [r1, r0];
  return [tl, tr, br, bl];
}

export function rectCorners(r: RotatedRect): Quad {
  const hw = r.width / 2;
  const hh = r.height / 2;
  const vx = -r.uy;
  const vy = r.ux;
  const at = (a: number, b: number) => ({ x: r.cx + a * r.ux + b * vx, y: r.cy + a * r.uy + b * vy });
  return orderQuad([at(-hw, -hh), at(hw, -hh), at(hw, hh), at(-hw, hh)]);
}

const dist = (a: Point, b: Point) => Math.hypot(a.x - b.x, a.y - b.y);

/** The size of the upright crop of a quad (PP-OCR's get_rotate_crop_image): its longer opposite sides. */
export function quadSize(q: Quad): { width: number; height: number } {
  return { width: Math.max(dist(q[0], q[1]), dist(q[2], q[3])), height: Math.max(dist(q[0], q[3]), dist(q[1], q[2])) };
}

/** A crop at least this much taller than wide is a vertical line: PP-OCR turns it 90° to read it. */
export const VERTICAL_RATIO = 1.5;

/**
 * Where a text line's crop is taken from and how large it is at `height` px: the quad, or for a
 * vertical line its corners shifted by one (np.rot90 of the crop: the old top-right becomes the
 * top-left), and the width keeping the aspect ratio (rounded up as PP-OCR's resize, within [1, maxWidth]).
 */
export function lineCrop(q: Quad, height: number, maxWidth: number): { corners: Quad; width: number } {
  const size = quadSize(q);
  const vertical = size.height >= VERTICAL_RATIO * size.width;
  const corners: Quad = vertical ? [q[1], q[2], q[3], q[0]] : q;
  const [w, h] = vertical ? [size.height, size.width] : [size.width, size.height];
  const width = Math.min(maxWidth, Math.max(1, Math.ceil((height * w) / Math.max(h, 1e-6))));
  return { corners, width };
}

/** The 3×3 homography (row-major, h33 = 1) that maps the rectangle [0,w]×[0,h] onto `q` (TL, TR, BR, BL). */
export function rectToQuad(w: number, h: number, q: Quad): number[] {
  const src = [
    [0, 0],
    [w, 0],
    [w, h],
    [0, h],
  ];
  // Eight equations a·x + b·y + c − g·x·X − h·y·X = X (and the same for Y), solved by Gaussian elimination.
  const m: number[][] = [];
  for (let i = 0; i < 4; i++) {
    const [x, y] = src[i];
    const { x: X, y: Y } = q[i];
    m.push([x, y, 1, 0, 0, 0, -x * X, -y * X, X]);
    m.push([0, 0, 0, x, y, 1, -x * Y, -y * Y, Y]);
  }
  for (let col = 0; col < 8; col++) {
    let pivot = col;
    for (let r = col + 1; r < 8; r++) if (Math.abs(m[r][col]) > Math.abs(m[pivot][col])) pivot = r;
    [m[col], m[pivot]] = [m[pivot], m[col]];
    const p = m[col][col];
    if (Math.abs(p) < 1e-12) throw new Error('degenerate quad: its corners do not span an area');
    for (let k = col; k < 9; k++) m[col][k] /= p;
    for (let r = 0; r < 8; r++) {
      if (r === col || m[r][col] === 0) continue;
      const f = m[r][col];
      for (let k = col; k < 9; k++) m[r][k] -= f * m[col][k];
    }
  }
  return [...m.map((row) => row[8]), 1];
}

/** An RGB image, 3 bytes per pixel, row-major. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * Warps the quad `q` of `image` to an upright `width`×`height` crop (a perspective warp, bilinear,
 * borders replicated as PP-OCR's cv2.warpPerspective does), written into `out` (a row of `stride`
 * pixels, 3 bytes each) at column 0.
 */
export function warpQuad(image: RgbImage, q: Quad, width: number, height: number, out: Uint8Array, stride: number): void {
  const [a, b, c, d, e, f, g, h] = rectToQuad(width, height, q);
  const { data, width: iw, height: ih } = image;
  for (let v = 0; v < height; v++) {
    const y0 = v + 0.5;
    for (let u = 0; u < width; u++) {
      const x0 = u + 0.5;
      const wgt = g * x0 + h * y0 + 1;
      // Pixel centres sit at i + 0.5: sample at the continuous point minus half a pixel.
      const sx = Math.min(iw - 1, Math.max(0, (a * x0 + b * y0 + c) / wgt - 0.5));
      const sy = Math.min(ih - 1, Math.max(0, (d * x0 + e * y0 + f) / wgt - 0.5));
      const ix = Math.floor(sx);
      const iy = Math.floor(sy);
      const fx = sx - ix;
      const fy = sy - iy;
      const ix1 = Math.min(iw - 1, ix + 1);
      const iy1 = Math.min(ih - 1, iy + 1);
      const p00 = (iy * iw + ix) * 3;
      const p10 = (iy * iw + ix1) * 3;
      const p01 = (iy1 * iw + ix) * 3;
      const p11 = (iy1 * iw + ix1) * 3;
      const o = (v * stride + u) * 3;
      for (let ch = 0; ch < 3; ch++) {
        const top = data[p00 + ch] * (1 - fx) + data[p10 + ch] * fx;
        const bottom = data[p01 + ch] * (1 - fx) + data[p11 + ch] * fx;
        out[o + ch] = Math.round(top * (1 - fy) + bottom * fy);
      }
    }
  }
}
