export {
  DET_INPUT_NAME,
  DET_MAX_SIDE,
  DET_MEAN,
  DET_STD,
  DET_STRIDE,
  decodeForDetector,
  decodeWithOriginal,
  detectorTensor,
  preprocessImage,
} from './preprocess';
export type { DecodedImage, DetectionContext, DetectorPixels, PreprocessOptions, PreprocessedImage } from './preprocess';
export { boxesDocument, detectTextRegions, postprocessBoxes, readingOrder } from './postprocess';
export type { BoxesDocument, PostprocessOptions, TextBox, TextRegion } from './postprocess';
export { cutImageForDetector, tileBoxToImage } from './tiles';
export type { DetectorTiles, TileRect } from './tiles';
export { MAX_SPLIT_TILES, mergeSplitDetections, splitImageForDetector } from './split-image';
