import { EparaError, FunctionKind, kindCapabilities } from '@epara/contracts';
import type { KindHandler } from '@epara/runtime';
import { audioVadKind } from './audio-vad/audio-vad-kind';
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
  [FunctionKind.AudioVad]: audioVadKind,
};

export function kindHandler(kind: FunctionKind): KindHandler {
  return KINDS[kind];
}
