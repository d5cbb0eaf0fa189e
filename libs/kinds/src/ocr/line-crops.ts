import { lineCrop, type Quad, type RgbImage, warpQuad } from './geometry';

/** Text lines are cut to this height, the recognizer's and the orientation classifier's input height. */
export const LINE_HEIGHT = 48;
/** A line wider than this at 48 px (an aspect ratio over 32) is squeezed to it: it bounds one crop's memory. */
export const MAX_LINE_WIDTH = 1536;

/** Upright crops of several lines in one tensor: `lines` × 48 × `stride` pixels, RGB; line i fills `widths[i]` columns. */
export interface LineCrops {
  data: Uint8Array;
  widths: Int32Array;
  stride: number;
}

/** Cuts each quad out of the image, perspective-corrected to an upright line 48 px high (vertical lines turned 90°). */
export function cropLines(image: RgbImage, quads: readonly Quad[]): LineCrops {
  const plans = quads.map((q) => lineCrop(q, LINE_HEIGHT, MAX_LINE_WIDTH));
  const stride = Math.max(1, ...plans.map((p) => p.width));
  const data = new Uint8Array(quads.length * LINE_HEIGHT * stride * 3);
  plans.forEach((p, i) => warpQuad(image, p.corners, p.width, LINE_HEIGHT, data.subarray(i * LINE_HEIGHT * stride * 3), stride));
  return { data, widths: Int32Array.from(plans.map((p) => p.width)), stride };
}

/** Turns line `i` by 180° in place (within its own width): what the orientation classifier asks for. */
export function rotateLine180(crops: LineCrops, i: number): void {
  const w = crops.widths[i];
  const base = i * LINE_HEIGHT * crops.stride * 3;
  const at = (x: number, y: number) => base + (y * crops.stride + x) * 3;
  const pixels = LINE_HEIGHT * w;
  for (let k = 0; k < pixels >> 1; k++) {
    const a = at(k % w, Math.floor(k / w));
    const m = pixels - 1 - k;
    const b = at(m % w, Math.floor(m / w));
    for (let ch = 0; ch < 3; ch++) {
      const t = crops.data[a + ch];
      crops.data[a + ch] = crops.data[b + ch];
      crops.data[b + ch] = t;
    }
  }
}

/**
 * The lines as a model input: FP32 [lines, 3, 48, width], BGR planes, (pixel / 255 − 0.5) / 0.5 as
 * PP-OCR's resize_norm_img, each line resized (bilinear, horizontally) to at most `width` columns and
 * padded with zeros on the right. `fit(w)` gives the width a line of `w` columns is drawn at.
 */
export function linesTensorData(crops: LineCrops, width: number, fit: (w: number) => number): Float32Array {
  const lines = crops.widths.length;
  const plane = LINE_HEIGHT * width;
  const out = new Float32Array(lines * 3 * plane);
  for (let i = 0; i < lines; i++) {
    const srcW = crops.widths[i];
    const dstW = Math.min(width, fit(srcW));
    const base = i * LINE_HEIGHT * crops.stride * 3;
    const item = i * 3 * plane;
    const step = srcW / dstW;
    for (let x = 0; x < dstW; x++) {
      // Bilinear between the two source columns around the destination pixel's centre (cv2.resize's mapping).
      const sx = Math.min(srcW - 1, Math.max(0, (x + 0.5) * step - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(srcW - 1, x0 + 1);
      const f = sx - x0;
      for (let y = 0; y < LINE_HEIGHT; y++) {
        const row = base + y * crops.stride * 3;
        for (let c = 0; c < 3; c++) {
          // Plane c is BGR channel c: RGB channel 2 - c.
          const v = crops.data[row + x0 * 3 + 2 - c] * (1 - f) + crops.data[row + x1 * 3 + 2 - c] * f;
          out[item + c * plane + y * width + x] = v / 127.5 - 1;
        }
      }
    }
  }
  return out;
}
