import { EparaError, FunctionKind, kindCapabilities } from '@epara/contracts';
import type { KindHandler } from '@epara/runtime';
import { audioVadKind } from './audio-vad/audio-vad-kind';
import { ocrDetectSample, ocrStageHandler } from './ocr/ocr-stages';
import { tensorKind } from './tensor/tensor-kind';
import { textDetectionKind } from './text-detection-kind';

/** A kind whose requests another engine serves: its handler only answers what every kind answers. */
function servedElsewhere(kind: FunctionKind, by: string, sample: KindHandler['sample']): KindHandler {
  const refuse = (): never => {
    throw new EparaError(500, `${kind} requests are served by ${by}, not the request batcher`);
  };
  return { ...kindCapabilities(kind), prepare: async () => refuse(), finish: refuse, sample };
}

/**
 * Text generation does not go through the request batcher: the worker hands it to a GenerationEngine
 * (iteration-level batching). An `ocr` function runs as its three pipeline stages (`stageKindHandler`).
 */
const textGenerationKind = servedElsewhere(FunctionKind.TextGeneration, 'the generation engine', tensorKind.sample);
const ocrKind = servedElsewhere(FunctionKind.Ocr, 'its three pipeline stages', ocrDetectSample);

const KINDS: Record<FunctionKind, KindHandler> = {
  [FunctionKind.Tensor]: tensorKind,
  [FunctionKind.TextDetection]: textDetectionKind,
  [FunctionKind.TextGeneration]: textGenerationKind,
  [FunctionKind.AudioVad]: audioVadKind,
  [FunctionKind.Ocr]: ocrKind,
};

export function kindHandler(kind: FunctionKind): KindHandler {
  return KINDS[kind];
}

/**
 * The handler of one pipeline stage of a `kind` function. A kind built of several models (`ocr`)
 * processes around each stage's model; a model cut into stages by the partitioner runs plain tensors.
 * `metadata` reads the stage model's ONNX metadata (where a recognizer keeps its dictionary).
 */
export function stageKindHandler(kind: FunctionKind, stage: number, metadata: () => Record<string, string>): KindHandler {
  return kind === FunctionKind.Ocr ? ocrStageHandler(stage, metadata) : tensorKind;
}
