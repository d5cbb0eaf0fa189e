export { DET_INPUT_NAME, DET_MAX_SIDE, DET_MEAN, DET_STD, DET_STRIDE, decodeForDetector, preprocessImage } from './preprocess';
export type { DetectionContext, DetectorPixels, PreprocessOptions, PreprocessedImage } from './preprocess';
export { boxesDocument, postprocessBoxes } from './postprocess';
export type { BoxesDocument, PostprocessOptions, TextBox } from './postprocess';
export { cutImageForDetector, tileBoxToImage } from './tiles';
export type { DetectorTiles, TileRect } from './tiles';
export { MAX_SPLIT_TILES, mergeSplitDetections, splitImageForDetector } from './split-image';
