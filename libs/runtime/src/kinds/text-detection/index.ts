export { DET_INPUT_NAME, DET_MAX_SIDE, DET_MEAN, DET_STD, DET_STRIDE, preprocessImage } from './preprocess';
export type { DetectionContext, PreprocessOptions, PreprocessedImage } from './preprocess';
export { boxesDocument, postprocessBoxes } from './postprocess';
export type { BoxesDocument, PostprocessOptions, TextBox } from './postprocess';
export { cutImage } from './tiles';
export type { TileRect } from './tiles';
