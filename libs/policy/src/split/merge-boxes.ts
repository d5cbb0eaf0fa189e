import { Rect, ScoredRect } from './types';

function area(r: Rect): number {
  return Math.max(0, r.width) * Math.max(0, r.height);
}

function intersection(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

export function iou(a: Rect, b: Rect): number {
  const i = intersection(a, b);
  return i === 0 ? 0 : i / (area(a) + area(b) - i);
}

/** Share of the smaller box covered by the larger: 1 when one box contains the other. */
function containment(a: Rect, b: Rect): number {
  const i = intersection(a, b);
  return i === 0 ? 0 : i / Math.min(area(a), area(b));
}

function union(a: ScoredRect, b: ScoredRect): ScoredRect {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return {
    x,
    y,
    width: Math.max(a.x + a.width, b.x + b.width) - x,
    height: Math.max(a.y + a.height, b.y + b.height) - y,
    score: Math.max(a.score, b.score),
  };
}

/**
 * Joins the boxes found in overlapping tiles (already shifted into image coordinates): the same object
 * seen whole in two tiles, or cut by one tile's edge and whole in the next, becomes one box. Two boxes
 * are the same object when one mostly contains the other (≥ `containmentThreshold`).
 */
export function mergeTileBoxes(perTile: ScoredRect[][], containmentThreshold = 0.6): ScoredRect[] {
  const merged: ScoredRect[] = [];
  for (const boxes of perTile) {
    for (const box of boxes) {
      let current = box;
      for (let i = merged.length - 1; i >= 0; i--) {
        if (containment(merged[i], current) >= containmentThreshold) {
          current = union(merged[i], current);
          merged.splice(i, 1);
        }
      }
      merged.push(current);
    }
  }
  return merged.sort((a, b) => a.y - b.y || a.x - b.x);
}
