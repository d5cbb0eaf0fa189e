import { growRect, minAreaRect, orderQuad, type Point, type Quad, rectCorners } from '../ocr/geometry';
import type { DetectionContext } from './preprocess';

/** A detected text region in original-image pixels (integers, clipped to the image). */
export interface TextBox {
  x: number;
  y: number;
  width: number;
  height: number;
  /** Mean text probability over the region's pixels, 0..1. */
  score: number;
}

export interface PostprocessOptions {
  /** A map pixel is text when its probability exceeds this. */
  threshold?: number;
  /** A region is kept when its mean probability is at least this. */
  boxThreshold?: number;
  /** Regions with fewer map pixels are noise. */
  minArea?: number;
  /** DB unclip ratio: how far the shrunk region the model predicts is grown back. */
  unclipRatio?: number;
  /**
   * A region whose rotated rectangle is thinner than this (map pixels) is dropped: PP-OCR's min_size,
   * 3, for the `ocr` kind, which crops each region; 0 (keep every region) for text detection.
   */
  minRectSide?: number;
}

export interface BoxesDocument {
  boxes: TextBox[];
  count: number;
  /** Time the detection took, when the caller measured it. */
  ms?: number;
}

/** A text region as found: its axis-aligned box, and its minimum-area rotated rectangle as PP-OCR finds it. */
export interface TextRegion {
  box: TextBox;
  /** Corners in original-image pixels: top-left, top-right, bottom-right, bottom-left. */
  quad: Quad;
}

interface Component {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
  pixels: number;
  probabilitySum: number;
  /** Leftmost and rightmost pixel of each row, by row: enough for the region's convex hull. */
  rows: Map<number, [number, number]>;
}

/** 8-connected components of the pixels above threshold, by an explicit stack (a text block can be huge). */
function connectedComponents(probMap: Float32Array, width: number, height: number, threshold: number): Component[] {
  const size = width * height;
  const visited = new Uint8Array(size);
  const stack = new Int32Array(size);
  const components: Component[] = [];
  for (let start = 0; start < size; start++) {
    if (visited[start] || !(probMap[start] > threshold)) continue;
    const c: Component = { minX: width, minY: height, maxX: -1, maxY: -1, pixels: 0, probabilitySum: 0, rows: new Map() };
    let top = 0;
    stack[top++] = start;
    visited[start] = 1;
    while (top > 0) {
      const i = stack[--top];
      const x = i % width;
      const y = (i - x) / width;
      c.pixels++;
      c.probabilitySum += probMap[i];
      if (x < c.minX) c.minX = x;
      if (x > c.maxX) c.maxX = x;
      if (y < c.minY) c.minY = y;
      if (y > c.maxY) c.maxY = y;
      const row = c.rows.get(y);
      if (!row) c.rows.set(y, [x, x]);
      else if (x < row[0]) row[0] = x;
      else if (x > row[1]) row[1] = x;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width) continue;
          const j = ny * width + nx;
          if (!visited[j] && probMap[j] > threshold) {
            visited[j] = 1;
            stack[top++] = j;
          }
        }
      }
    }
    components.push(c);
  }
  return components;
}

/**
 * Reading order: top to bottom, and left to right among boxes on the same line (tops closer than
 * half the smaller box's height). A plain comparator cannot express "same line" transitively, so
 * this sorts by top and then lets neighbours on one line swap, as PaddleOCR's sorted_boxes does.
 */
export function readingOrder<T>(items: readonly T[], boxOf: (item: T) => TextBox): T[] {
  const sorted = [...items].sort((p, q) => boxOf(p).y - boxOf(q).y || boxOf(p).x - boxOf(q).x);
  for (let i = 0; i < sorted.length - 1; i++) {
    for (let j = i; j >= 0; j--) {
      const [a, b] = [boxOf(sorted[j]), boxOf(sorted[j + 1])];
      const sameLine = Math.abs(b.y - a.y) < Math.min(a.height, b.height) / 2;
      if (!sameLine || a.x <= b.x) break;
      [sorted[j], sorted[j + 1]] = [sorted[j + 1], sorted[j]];
    }
  }
  return sorted;
}

/** The pixel corners of each row's extremes: their hull is the component's. */
function outline(c: Component): Point[] {
  const points: Point[] = [];
  for (const [y, [left, right]] of c.rows) {
    points.push({ x: left, y }, { x: right + 1, y }, { x: left, y: y + 1 }, { x: right + 1, y: y + 1 });
  }
  return points;
}

/**
 * Turns the DBNet probability map into text regions in original-image pixels, in reading order.
 * DBNet predicts text regions shrunk towards their centre; each kept region is grown back by the DB
 * unclip distance, area × unclipRatio / perimeter: its axis-aligned bounding box (rounded outwards and
 * clipped, the `text-detection` kind's boxes), and its minimum-area rotated rectangle (PP-OCR's box,
 * which follows a tilted line; scaled to the image and clipped, as PP-OCR clips its corners).
 */
export function detectTextRegions(
  probMap: Float32Array,
  mapWidth: number,
  mapHeight: number,
  ctx: DetectionContext,
  opts: PostprocessOptions = {},
): TextRegion[] {
  const { threshold = 0.3, boxThreshold = 0.5, minArea = 16, unclipRatio = 1.6, minRectSide = 0 } = opts;
  if (probMap.length < mapWidth * mapHeight) {
    throw new Error(`probability map has ${probMap.length} values, fewer than ${mapWidth}x${mapHeight}`);
  }
  const regions: TextRegion[] = [];
  for (const c of connectedComponents(probMap, mapWidth, mapHeight, threshold)) {
    if (c.pixels < minArea) continue;
    const score = c.probabilitySum / c.pixels;
    if (score < boxThreshold) continue;
    const w = c.maxX - c.minX + 1;
    const h = c.maxY - c.minY + 1;
    const grow = (w * h * unclipRatio) / (2 * (w + h));
    // Round outwards so the box never cuts into the text it covers.
    const left = Math.max(0, Math.floor((c.minX - grow) * ctx.scaleX));
    const top = Math.max(0, Math.floor((c.minY - grow) * ctx.scaleY));
    const right = Math.min(ctx.width, Math.ceil((c.maxX + 1 + grow) * ctx.scaleX));
    const bottom = Math.min(ctx.height, Math.ceil((c.maxY + 1 + grow) * ctx.scaleY));
    if (right <= left || bottom <= top) continue;
    const rect = minAreaRect(outline(c));
    if (Math.min(rect.width, rect.height) < minRectSide) continue;
    const rectGrow = (rect.width * rect.height * unclipRatio) / (2 * (rect.width + rect.height));
    const clip = (p: Point): Point => ({
      x: Math.min(ctx.width, Math.max(0, p.x * ctx.scaleX)),
      y: Math.min(ctx.height, Math.max(0, p.y * ctx.scaleY)),
    });
    const quad = orderQuad(rectCorners(growRect(rect, rectGrow)).map(clip));
    regions.push({ box: { x: left, y: top, width: right - left, height: bottom - top, score }, quad });
  }
  return readingOrder(regions, (r) => r.box);
}

/** The axis-aligned text boxes of `detectTextRegions`, in reading order. */
export function postprocessBoxes(
  probMap: Float32Array,
  mapWidth: number,
  mapHeight: number,
  ctx: DetectionContext,
  opts: PostprocessOptions = {},
): TextBox[] {
  return detectTextRegions(probMap, mapWidth, mapHeight, ctx, opts).map((r) => r.box);
}

/** The response document of the text-detection kind. */
export function boxesDocument(boxes: TextBox[], ms?: number): BoxesDocument {
  return ms === undefined ? { boxes, count: boxes.length } : { boxes, count: boxes.length, ms };
}
