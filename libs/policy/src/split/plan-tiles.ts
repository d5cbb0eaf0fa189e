import { Rect, TilePlanOptions } from './types';

/**
 * Cuts an image into `parts` horizontal bands that overlap by `overlapPx` rows (the `sp` mode of a
 * detection function). Bands, not columns: text lines and most objects are wider than tall, so a
 * horizontal cut crosses fewer of them, and the overlap keeps each one whole in at least one band.
 */
export function planTiles(width: number, height: number, o: TilePlanOptions): Rect[] {
  const parts = Math.max(1, Math.min(o.parts, Math.floor(height / Math.max(1, o.overlapPx * 2)) || 1));
  if (parts === 1) return [{ x: 0, y: 0, width, height }];
  const step = height / parts;
  const align = Math.max(1, Math.round(o.align ?? 1));
  const tiles: Rect[] = [];
  for (let i = 0; i < parts; i++) {
    const top = Math.max(0, Math.floor((i * step - o.overlapPx / 2) / align) * align);
    const bottom = Math.min(height, Math.ceil(((i + 1) * step + o.overlapPx / 2) / align) * align);
    tiles.push({ x: 0, y: top, width, height: bottom - top });
  }
  return tiles;
}
