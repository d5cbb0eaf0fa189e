import sharp from 'sharp';
import { decodeForDetector, type DetectionContext } from './preprocess';

export interface TileRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface DetectorTiles extends DetectionContext {
  /** The detector's input size for the whole image; `rect`s are in this space. */
  inputWidth: number;
  inputHeight: number;
  tiles: { rect: TileRect; png: Buffer }[];
}

/**
 * Decodes an image once, resizes it to the detector's input size (exactly as the whole-image path
 * does) and cuts that into PNG tiles (the `sp` mode: each tile goes to another device). Cutting after
 * the resize keeps the tiles small (a 1920×1280 page travels as two ~960×352 bands, not two 1920×704
 * ones) and makes each tile an exact window of the whole image's input, so a worker runs it without
 * resizing again; map a tile's boxes back with `(x, y + rect.y)` × `(scaleX, scaleY)`.
 * PNG without compression: the tiles travel on loopback or a LAN, where encoding time costs more than bytes.
 */
export async function cutImageForDetector(
  bytes: Uint8Array,
  plan: (inputWidth: number, inputHeight: number) => TileRect[],
): Promise<DetectorTiles> {
  const pixels = await decodeForDetector(bytes);
  const { rgb, inputWidth, inputHeight, ...context } = pixels;
  const raw = { raw: { width: inputWidth, height: inputHeight, channels: 3 as const } };
  const tiles = await Promise.all(
    plan(inputWidth, inputHeight).map(async (rect) => ({
      rect,
      png: await sharp(rgb, raw)
        .extract({ left: rect.x, top: rect.y, width: rect.width, height: rect.height })
        .png({ compressionLevel: 0 })
        .toBuffer(),
    })),
  );
  return { ...context, inputWidth, inputHeight, tiles };
}

/** A box a worker found in a tile (tile pixels) in original-image pixels, rounded outwards and clipped like the whole-image path. */
export function tileBoxToImage<B extends TileRect>(box: B, rect: TileRect, image: DetectionContext): B {
  const left = Math.max(0, Math.floor((box.x + rect.x) * image.scaleX));
  const top = Math.max(0, Math.floor((box.y + rect.y) * image.scaleY));
  const right = Math.min(image.width, Math.ceil((box.x + box.width + rect.x) * image.scaleX));
  const bottom = Math.min(image.height, Math.ceil((box.y + box.height + rect.y) * image.scaleY));
  return { ...box, x: left, y: top, width: right - left, height: bottom - top };
}
