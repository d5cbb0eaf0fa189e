// Sub-path imports keep this pure kind free of the contracts barrel's DTOs (class-validator decorators
// that need reflect-metadata loaded first); they are the same modules the barrel re-exports.
import { EparaError } from '@epara/contracts/errors';
import { Datatype, type Tensor } from '@epara/contracts/tensor';
import sharp, { type Metadata, type Sharp } from 'sharp';

/** PP-OCR detection normalization (ImageNet statistics), applied per channel in the model's B, G, R order. */
export const DET_MEAN = [0.485, 0.456, 0.406] as const;
export const DET_STD = [0.229, 0.224, 0.225] as const;
/** DBNet downsamples by 32, so both input sides must be multiples of it. */
export const DET_STRIDE = 32;
/** Longest side the detector's input is resized to, px. */
export const DET_MAX_SIDE = 960;
export const DET_INPUT_NAME = 'x';

const ACCEPTED_FORMATS = new Set(['png', 'jpeg', 'webp']);

export interface PreprocessOptions {
  /** The longer side is scaled down to at most this many pixels (never up). */
  maxSide?: number;
  /** Each side is at least this many pixels (rounded up to a multiple of 32). */
  minSide?: number;
}

/** Maps the model's probability map back to the original image. */
export interface DetectionContext {
  /** Original-image pixels per model-input pixel, horizontally. */
  scaleX: number;
  /** Original-image pixels per model-input pixel, vertically. */
  scaleY: number;
  /** Original image size (after EXIF orientation). */
  width: number;
  height: number;
}

export interface PreprocessedImage extends DetectionContext {
  /** `x`, FP32 [1, 3, H, W], BGR, normalized, H and W multiples of 32. */
  tensor: Tensor;
}

/** A side scaled by `ratio` and snapped to a multiple of 32 within [minSide, maxSide]. */
function snappedSide(side: number, ratio: number, minSide: number, maxSide: number): number {
  const lower = Math.ceil(minSide / DET_STRIDE) * DET_STRIDE;
  const upper = Math.max(lower, Math.floor(maxSide / DET_STRIDE) * DET_STRIDE);
  const snapped = Math.round((side * ratio) / DET_STRIDE) * DET_STRIDE;
  return Math.min(upper, Math.max(lower, snapped));
}

function notAnImage(reason: string): EparaError {
  return EparaError.badInput(`image input is not a PNG, JPEG or WebP image that can be decoded (${reason})`);
}

/** An image decoded and resized to the detector's input size: RGB bytes, row-major, 3 channels. */
export interface DetectorPixels extends DetectionContext {
  rgb: Buffer;
  inputWidth: number;
  inputHeight: number;
}

/** Reads the image's header: refuses what the API does not take, gives its size after EXIF orientation. */
async function imageSize(bytes: Uint8Array): Promise<{ width: number; height: number }> {
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { autoOrient: true }).metadata();
  } catch (e) {
    throw notAnImage(e instanceof Error ? e.message : String(e));
  }
  // sharp also reads SVG, GIF, TIFF, HEIF...: accept only what the API documents.
  if (!ACCEPTED_FORMATS.has(meta.format)) throw notAnImage(`format ${meta.format}`);
  return meta.autoOrient;
}

/** The decoding every path shares: EXIF orientation, white paper under transparency, 3-channel sRGB. */
function rgbPipeline(input: Uint8Array | Buffer, raw?: { width: number; height: number }): Sharp {
  return (
    sharp(input, raw ? { raw: { ...raw, channels: 3 } } : { autoOrient: true })
      // Transparent pixels become white paper, not black ink (removeAlpha alone would leave them black).
      .flatten({ background: '#ffffff' })
      // Grayscale and CMYK inputs become 3-channel sRGB, so callers always get 3 bytes per pixel.
      .toColourspace('srgb')
  );
}

async function rawPixels(pipeline: Sharp): Promise<Buffer> {
  try {
    return (await pipeline.raw().toBuffer({ resolveWithObject: true })).data;
  } catch (e) {
    throw notAnImage(e instanceof Error ? e.message : String(e));
  }
}

/** The detector's input size for an image of `width`×`height` (see `decodeForDetector`). */
function detectorSize(width: number, height: number, opts: PreprocessOptions): { inputWidth: number; inputHeight: number } {
  const { maxSide = DET_MAX_SIDE, minSide = DET_STRIDE } = opts;
  if (!(maxSide > 0) || !(minSide > 0)) throw EparaError.badInput(`maxSide (${maxSide}) and minSide (${minSide}) must be positive`);
  const ratio = Math.min(1, maxSide / Math.max(width, height));
  return { inputWidth: snappedSide(width, ratio, minSide, maxSide), inputHeight: snappedSide(height, ratio, minSide, maxSide) };
}

/** Bilinear, like the cv2.resize PaddleOCR trains and infers with. */
const stretch = (pipeline: Sharp, width: number, height: number) => pipeline.resize(width, height, { fit: 'fill', kernel: 'linear' });

/**
 * Decodes an image and resizes it to the detector's input size. As PaddleOCR does, the image is
 * stretched to the snapped size (so the aspect ratio changes by at most half a stride per side)
 * rather than padded, and the scales map the probability map back to original pixels. The `sp` mode
 * cuts its bands from these pixels, so every band is an exact window of what the whole image feeds.
 */
export async function decodeForDetector(bytes: Uint8Array, opts: PreprocessOptions = {}): Promise<DetectorPixels> {
  const { width, height } = await imageSize(bytes);
  const { inputWidth, inputHeight } = detectorSize(width, height, opts);
  const rgb = await rawPixels(stretch(rgbPipeline(bytes), inputWidth, inputHeight));
  return { rgb, inputWidth, inputHeight, scaleX: width / inputWidth, scaleY: height / inputHeight, width, height };
}

/** An image decoded at its own size, and resized to the detector's input (the `ocr` kind crops lines from the former). */
export interface DecodedImage {
  original: { data: Buffer; width: number; height: number };
  detector: DetectorPixels;
}

/** Decodes an image once at its own size and resizes those pixels for the detector, as `decodeForDetector` would. */
export async function decodeWithOriginal(bytes: Uint8Array, opts: PreprocessOptions = {}): Promise<DecodedImage> {
  const { width, height } = await imageSize(bytes);
  const { inputWidth, inputHeight } = detectorSize(width, height, opts);
  const data = await rawPixels(rgbPipeline(bytes));
  const rgb = await rawPixels(stretch(rgbPipeline(data, { width, height }), inputWidth, inputHeight));
  const detector = { rgb, inputWidth, inputHeight, scaleX: width / inputWidth, scaleY: height / inputHeight, width, height };
  return { original: { data, width, height }, detector };
}

/** The detector's input tensor from its pixels: BGR planes, normalized with DET_MEAN and DET_STD. */
export function detectorTensor({ rgb, inputWidth, inputHeight }: DetectorPixels): Tensor {
  const plane = inputWidth * inputHeight;
  const data = new Float32Array(3 * plane);
  // Output channel c takes RGB channel 2 - c (BGR), normalized with DET_MEAN[c] / DET_STD[c].
  const scale = DET_STD.map((s) => 1 / (255 * s));
  const offset = DET_MEAN.map((m, c) => m / DET_STD[c]);
  for (let i = 0; i < plane; i++) {
    const px = i * 3;
    data[i] = rgb[px + 2] * scale[0] - offset[0];
    data[plane + i] = rgb[px + 1] * scale[1] - offset[1];
    data[2 * plane + i] = rgb[px] * scale[2] - offset[2];
  }
  return { name: DET_INPUT_NAME, datatype: Datatype.Fp32, shape: [1, 3, inputHeight, inputWidth], data };
}

/** Decodes an image and turns it into the PP-OCR detector's input (see `decodeForDetector`). */
export async function preprocessImage(bytes: Uint8Array, opts: PreprocessOptions = {}): Promise<PreprocessedImage> {
  const pixels = await decodeForDetector(bytes, opts);
  const { scaleX, scaleY, width, height } = pixels;
  return { tensor: detectorTensor(pixels), scaleX, scaleY, width, height };
}
