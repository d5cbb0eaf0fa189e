import { FunctionKind } from './vocabulary';

/**
 * What a kind can do, as plain data: the scheduler and the gateway decide from these without loading
 * the kind's code (and its native dependencies: onnxruntime, sharp). The kind handlers read the same
 * table, so there is one source of truth.
 */
export interface KindCapabilities {
  /** Whether one request can be cut into parts that run on several devices (`sp` mode). */
  readonly canSplit: boolean;
  /**
   * Whether a worker keeps state per stream between requests (`Epara-Stream-Id`, required then): the
   * gateways send every frame of a stream to the same replica (rendezvous hashing of the stream id).
   * Absent: false.
   */
  readonly streamState?: boolean;
  /**
   * The models a function of this kind is deployed with, in stage order, when the kind is a pipeline of
   * models of its own (always served `pp`, one unit per model); absent: one model.
   */
  readonly stageModels?: readonly string[];
}

export const KIND_CAPABILITIES: Readonly<Record<FunctionKind, KindCapabilities>> = {
  [FunctionKind.Tensor]: { canSplit: false },
  // An image's bands are detected independently and their boxes merged.
  [FunctionKind.TextDetection]: { canSplit: true },
  // Each token depends on the previous ones; there is nothing to cut.
  [FunctionKind.TextGeneration]: { canSplit: false },
  // A stream's windows run one after another through its recurrent state; the state lives on one replica.
  [FunctionKind.AudioVad]: { canSplit: false, streamState: true },
  // Lines are found on the whole image; the three models run as pipeline stages instead.
  [FunctionKind.Ocr]: { canSplit: false, stageModels: ['det', 'cls', 'rec'] },
};

export function kindCapabilities(kind: FunctionKind): KindCapabilities {
  return KIND_CAPABILITIES[kind];
}
