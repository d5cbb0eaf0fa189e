/** Parallel mode a function's requests are served in (chosen by categorization, see docs/architecture.md). */
export const Mode = { Dp: 'dp', Batch: 'batch', Pp: 'pp', Sp: 'sp' } as const;
export type Mode = (typeof Mode)[keyof typeof Mode];
export const MODES: readonly Mode[] = Object.values(Mode);

/** What decides whether a function meets its SLO: the latency of one request, or throughput at its rate. */
export const Sensitivity = { Latency: 'latency', Frequency: 'frequency' } as const;
export type Sensitivity = (typeof Sensitivity)[keyof typeof Sensitivity];

/** Whether one device can hold and serve the function, or it needs several. */
export const Footprint = { Single: 'single', Multi: 'multi' } as const;
export type Footprint = (typeof Footprint)[keyof typeof Footprint];

/**
 * Built-in kinds own pre/post-processing so that functions stay declarative.
 * - `tensor`: raw tensors in, raw tensors out (Open Inference Protocol layout).
 * - `text-detection`: PNG/JPEG bytes in, text boxes out (PP-OCR DBNet detector).
 * - `text-generation`: a prompt in, tokens out (streamed), from a decoder with a KV cache; batched per iteration.
 * - `audio-vad`: frames of 16 kHz mono audio of one stream (`Epara-Stream-Id`) in, speech probabilities per
 *   512-sample window and speech start/end events out; the worker keeps each stream's recurrent state (Silero VAD v5).
 * - `ocr`: PNG/JPEG/WebP bytes in, text lines out: a pipeline of three models (PP-OCR detector, line
 *   orientation classifier, recognizer), each a stage of its own.
 */
export const FunctionKind = {
  Tensor: 'tensor',
  TextDetection: 'text-detection',
  TextGeneration: 'text-generation',
  AudioVad: 'audio-vad',
  Ocr: 'ocr',
} as const;
export type FunctionKind = (typeof FunctionKind)[keyof typeof FunctionKind];
export const FUNCTION_KINDS: readonly FunctionKind[] = Object.values(FunctionKind);

/** Lifecycle events announced on `epara.v1.events.<kind>`. */
export const EventKind = {
  Deployed: 'deployed',
  Updated: 'updated',
  Deleted: 'deleted',
  Placed: 'placed',
  ModelLoaded: 'model-loaded',
  ModelFailed: 'model-failed',
  DeviceJoined: 'device-joined',
  DeviceLost: 'device-lost',
  /** A worker's NATS connection came back: what was sent to it meanwhile may not have arrived. */
  DeviceReconnected: 'device-reconnected',
  Recategorized: 'recategorized',
  Profiled: 'profiled',
} as const;
export type EventKind = (typeof EventKind)[keyof typeof EventKind];
