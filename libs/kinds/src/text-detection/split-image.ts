import { mergeTileBoxes, planTiles, type ScoredRect } from '@epara/policy';
import { DET_STRIDE } from './preprocess';
import { cutImageForDetector, type DetectorTiles, tileBoxToImage } from './tiles';

/** Most tiles one request is cut into: beyond this the merge and the hops cost more than they save. */
export const MAX_SPLIT_TILES = 4;
/** Rows neighbouring tiles share, in detector-input pixels: at least this, or 10% of the input height. */
const MIN_OVERLAP_PX = 64;

/**
 * Cuts one image for the `sp` mode into overlapping horizontal bands, at most one per device and
 * MAX_SPLIT_TILES. The image is resized once to the detector's input size and the bands fall on its
 * stride, so each band is exactly a window of the whole image's input: the workers do not resize, and
 * their boxes agree with the whole-image path's.
 */
export function splitImageForDetector(bytes: Uint8Array, devices: number): Promise<DetectorTiles> {
  const parts = Math.min(devices, MAX_SPLIT_TILES);
  return cutImageForDetector(bytes, (width, height) =>
    planTiles(width, height, { parts, overlapPx: Math.max(MIN_OVERLAP_PX, Math.round(height * 0.1)), align: DET_STRIDE }),
  );
}

/**
 * The boxes each tile's detector found (tile pixels, in `image.tiles` order) as one list in
 * original-image pixels, with the duplicates of objects in the overlaps merged.
 */
export function mergeSplitDetections(image: DetectorTiles, boxesPerTile: readonly ScoredRect[][]): ScoredRect[] {
  return mergeTileBoxes(boxesPerTile.map((boxes, i) => boxes.map((b) => tileBoxToImage(b, image.tiles[i].rect, image))));
}
