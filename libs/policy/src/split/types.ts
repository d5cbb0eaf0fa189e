/** An axis-aligned rectangle in image pixels. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A detected box with its confidence. */
export interface ScoredRect extends Rect {
  score: number;
}

export interface TilePlanOptions {
  /** How many tiles (one per device). Min 1. */
  parts: number;
  /** Rows shared by neighbouring tiles, px: must exceed the tallest object so each lies whole in one tile. */
  overlapPx: number;
  /**
   * Band edges fall on multiples of this, px (default 1). A detector that resizes its input to a stride
   * (PP-OCR: 32 after scaling) then scales every band exactly as it scales the whole image, so boxes agree.
   */
  align?: number;
}
