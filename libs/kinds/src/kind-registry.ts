import { EparaError, FunctionKind, kindCapabilities } from '@epara/contracts';
import type { KindHandler } from '@epara/runtime';
import { ocrKind, ocrStageHandler } from './ocr/ocr-stages';
import { tensorKind } from './tensor/tensor-kind';
import { textDetectionKind } from './text-detection-kind';

/**
 * Text generation does not go through the request batcher: the worker hands it to a GenerationEngine
 * (iteration-level batching). Its handler only answers the questions every kind answers.
 */
const textGenerationKind: KindHandler = {
  ...kindCapabilities(FunctionKind.TextGeneration),
  prepare: async () => {
    throw new EparaError(500, 'text-generation requests are served by the generation engine, not the request batcher');
  },
  finish: () => {
    throw new EparaError(500, 'text-generation requests are served by the generation engine, not the request batcher');
  },
  sample: tensorKind.sample,
};

const KINDS: Record<FunctionKind, KindHandler> = {
  [FunctionKind.Tensor]: tensorKind,
  [FunctionKind.TextDetection]: textDetectionKind,
  [FunctionKind.TextGeneration]: textGenerationKind,
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
