import { FunctionKind } from '@epara/contracts';
import { tensorKind } from './tensor/tensor-kind';
import { textDetectionKind } from './text-detection-kind';
import { KindHandler } from './types';

const KINDS: Record<FunctionKind, KindHandler> = {
  [FunctionKind.Tensor]: tensorKind,
  [FunctionKind.TextDetection]: textDetectionKind,
};

export function kindHandler(kind: FunctionKind): KindHandler {
  return KINDS[kind];
}

export * from './types';
export * from './tensor/tensor-kind';
export { textDetectionKind } from './text-detection-kind';
export { cutImage, DET_MAX_SIDE, DET_STRIDE } from './text-detection';
