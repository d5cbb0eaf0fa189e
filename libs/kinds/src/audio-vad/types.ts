import type { SpeechEvent, SpeechHysteresisParams } from './speech-hysteresis';

/** Samples Silero VAD v5 takes per window at 16 kHz (32 ms). */
export const VAD_WINDOW_SAMPLES = 512;
/**
 * Samples of the previous window fed in front of each window at 16 kHz: Silero v5's ONNX model expects
 * `[context(64) | window(512)]` (silero-vad `OnnxWrapper.__call__`); the first window gets zeros.
 */
export const VAD_CONTEXT_SAMPLES = 64;
/** The recurrent state of one stream: `[2, 1, 128]` floats. */
export const VAD_STATE_SIZE = 2 * 128;
/** One window's length, ms. */
export const VAD_WINDOW_MS = 32;

/** One window of one stream, ready for the model. */
export interface VadWindowRun {
  /** `VAD_CONTEXT_SAMPLES + VAD_WINDOW_SAMPLES` samples: the previous window's tail, then this window. */
  readonly input: Float32Array;
  /** The stream's state before this window, `VAD_STATE_SIZE` floats. */
  readonly state: Float32Array;
}

export interface VadWindowResult {
  /** Speech probability of the window, [0, 1]. */
  prob: number;
  /** The stream's state after it. */
  state: Float32Array;
}

/** Runs windows of several streams as one batch (`[B, 576]`, state `[2, B, 128]`): results in the same order. */
export interface VadRunner {
  run(windows: readonly VadWindowRun[]): Promise<VadWindowResult[]>;
}

/** What one frame's reply says. */
export interface VadFrameResult {
  stream: string;
  /**
   * True when this replica had no state for the stream: a new stream, one forgotten after being idle,
   * or one whose replica changed (lost, or the replica set changed). It starts from fresh state, and its
   * times count from this frame.
   */
  restarted: boolean;
  /** Why, when `restarted`. */
  reason?: string;
  /** Stream time at the start of this frame's first window, ms (from the stream's start on this replica). */
  offsetMs: number;
  windowMs: number;
  /** Speech probability per complete window of this frame, in order. */
  probabilities: number[];
  /** Speech start/end events this frame caused, times in ms from the stream's start. */
  events: SpeechEvent[];
  /** Whether the stream is in speech after this frame. */
  speaking: boolean;
  /** Samples held for the next frame: the tail that is not a whole window yet. */
  carriedSamples: number;
}

/** How a frame was served: the replica's batching figures, for the reply headers and metrics. */
export interface VadServed {
  /** Streams in the largest step that ran one of its windows (0 when it had none). */
  batchSize: number;
  /** Arrival → its first window's run, ms (0 when it had none). */
  queueMs: number;
  /** Model time of the steps that ran its windows, ms. */
  execMs: number;
}

export type VadFrameOutcome =
  { ok: true; result: VadFrameResult; served: VadServed } | { ok: false; code: 429 | 500 | 503 | 504; message: string };

export interface VadFrame {
  streamId: string;
  /** 16 kHz mono samples in [-1, 1]: any length; a tail short of a window waits for the next frame. */
  samples: Float32Array;
  /** On the engine's clock, ms: a frame none of whose windows ran by then is answered 504 and skipped. */
  deadlineMs: number;
  /** Called exactly once. */
  onDone(outcome: VadFrameOutcome): void;
}

/** What a step did, for logs, tests and metrics. */
export interface VadStepEvent {
  /** Streams (one window each) in the step's run. */
  streams: number;
  execMs: number;
  /** Frames still waiting after the step. */
  queued: number;
}

export interface VadStreamEngineOptions {
  runner: VadRunner;
  /** Streams one step runs at most (the batch size). Min 1. Default 64. */
  maxBatchStreams?: number;
  /** A stream with nothing queued for this long is forgotten, ms. Min 1. Default 30 000. */
  idleMs?: number;
  /** Frames waiting over all streams before a new one is refused (429). Min 1. Default 4096. */
  maxQueuedFrames?: number;
  hysteresis?: SpeechHysteresisParams;
  /** Names this engine's place in `restarted` reasons (e.g. `vad on cpu-1`). */
  label?: string;
  /** Default: Date.now(). */
  clock?: { nowMs(): number };
  onStep?: (event: VadStepEvent) => void;
}
