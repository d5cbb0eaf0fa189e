import sharp, { type OutputInfo } from 'sharp';
import { EparaError } from '@epara/contracts/errors';

export interface TileRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Decodes an image once and cuts it into PNG tiles (the `sp` mode: each tile goes to another device).
 * PNG without compression: the tiles travel on loopback or a LAN, where encoding time costs more than bytes.
 */
export async function cutImage(bytes: Uint8Array, plan: (width: number, height: number) => TileRect[]): Promise<{ width: number; height: number; tiles: { rect: TileRect; png: Buffer }[] }> {
  let raw: { data: Buffer; info: OutputInfo };
  try {
    raw = await sharp(bytes, { autoOrient: true }).flatten({ background: '#ffffff' }).toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw EparaError.badInput(`image input is not a PNG, JPEG or WebP image that can be decoded (${(e as Error).message})`);
  }
  const { width, height, channels } = raw.info;
  const tiles = await Promise.all(
    plan(width, height).map(async (rect) => ({
      rect,
      png: await sharp(raw.data, { raw: { width, height, channels } }).extract({ left: rect.x, top: rect.y, width: rect.width, height: rect.height }).png({ compressionLevel: 0 }).toBuffer(),
    })),
  );
  return { width, height, tiles };
}
