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
}

export interface BoxesDocument {
  boxes: TextBox[];
  count: number;
  /** Time the detection took, when the caller measured it. */
  ms?: number;
}

interface Component {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
  pixels: number;
  probabilitySum: number;
}

/** 8-connected components of the pixels above threshold, by an explicit stack (a text block can be huge). */
function connectedComponents(probMap: Float32Array, width: number, height: number, threshold: number): Component[] {
  const size = width * height;
  const visited = new Uint8Array(size);
  const stack = new Int32Array(size);
  const components: Component[] = [];
  for (let start = 0; start < size; start++) {
    if (visited[start] || !(probMap[start] > threshold)) continue;
    const c: Component = { minX: width, minY: height, maxX: -1, maxY: -1, pixels: 0, probabilitySum: 0 };
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
function readingOrder(boxes: TextBox[]): TextBox[] {
  const sorted = [...boxes].sort((a, b) => a.y - b.y || a.x - b.x);
  for (let i = 0; i < sorted.length - 1; i++) {
    for (let j = i; j >= 0; j--) {
      const [a, b] = [sorted[j], sorted[j + 1]];
      const sameLine = Math.abs(b.y - a.y) < Math.min(a.height, b.height) / 2;
      if (!sameLine || a.x <= b.x) break;
      [sorted[j], sorted[j + 1]] = [b, a];
    }
  }
  return sorted;
}

/**
 * Turns the DBNet probability map into text boxes in original-image pixels. DBNet predicts text
 * regions shrunk towards their centre; each kept region's bounding box is grown back by the DB
 * unclip distance, area × unclipRatio / perimeter, then scaled to the image and clipped.
 */
export function postprocessBoxes(
  probMap: Float32Array,
  mapWidth: number,
  mapHeight: number,
  ctx: DetectionContext,
  opts: PostprocessOptions = {},
): TextBox[] {
  const { threshold = 0.3, boxThreshold = 0.5, minArea = 16, unclipRatio = 1.6 } = opts;
  if (probMap.length < mapWidth * mapHeight) {
    throw new Error(`probability map has ${probMap.length} values, fewer than ${mapWidth}x${mapHeight}`);
  }
  const boxes: TextBox[] = [];
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
    boxes.push({ x: left, y: top, width: right - left, height: bottom - top, score });
  }
  return readingOrder(boxes);
}

/** The response document of the text-detection kind. */
export function boxesDocument(boxes: TextBox[], ms?: number): BoxesDocument {
  return ms === undefined ? { boxes, count: boxes.length } : { boxes, count: boxes.length, ms };
}
