// The built-in kinds' pre- and post-processing (tensor, text-detection with sharp, audio-vad's codecs and stream engine) and the handler per
// kind. What a kind can do (canSplit) is plain data in @epara/contracts, for processes that need not load this.
export { kindHandler, stageKindHandler } from './kind-registry';
export { batchFirst, DICTIONARY_METADATA_KEY, imageBytesOf, OCR_STAGE_CARRIES, OcrTensor } from './ocr/ocr-stages';
export type { OcrDocument, OcrLine } from './ocr/ocr-stages';
export { recognitionClasses } from './ocr/recognition';
export { prepareTensors, selectOutputs, tensorKind } from './tensor/tensor-kind';
export { textDetectionKind } from './text-detection-kind';
export {
  cutImageForDetector,
  DET_STRIDE,
  MAX_SPLIT_TILES,
  mergeSplitDetections,
  splitImageForDetector,
  tileBoxToImage,
} from './text-detection';
export type { DetectorTiles, TileRect } from './text-detection';
export {
  AUDIO_TYPES_HELP,
  decodeAudioFrame,
  encodeAudio,
  sileroSignatureProblem,
  sileroWindowRequest,
  sileroWindowResults,
  VAD_SAMPLE_RATE,
  VAD_WINDOW_MS,
  VAD_WINDOW_SAMPLES,
  VadStreamEngine,
} from './audio-vad';
export type { SpeechEvent, VadFrameOutcome, VadFrameResult, VadRunner, VadServed, VadStreamEngineOptions } from './audio-vad';
