import type * as ort from 'onnxruntime-node';
import type { DecoderDims } from './decoder-batch';

export const GenerationEndReason = {
  /** maxTokens generated. */
  Length: 'length',
  /** A stop string or end-of-text. */
  Stop: 'stop',
  Cancelled: 'cancelled',
  /** The TTFT deadline passed before it started (code 504), or `deadlineTotalMs` passed while running. */
  Deadline: 'deadline',
  /** Too long for the model (code 400), the model run failed (500), or the engine stopped (503). */
  Error: 'error',
} as const;
export type GenerationEndReason = (typeof GenerationEndReason)[keyof typeof GenerationEndReason];

export interface GenerationOutcome {
  reason: GenerationEndReason;
  /** Tokens generated (sampled), end-of-text and the token that completed a stop string included. */
  tokens: number;
  /** Submit → first token, ms; null when none came. */
  ttftMs: number | null;
  /** Mean time between tokens after the first, ms; null below 2 tokens. */
  tpotMs: number | null;
  /** Everything passed to onToken, concatenated. */
  text: string;
  /** Error code where the end is a failure: 400 too long, 500 model error, 503 engine stopped, 504 deadline before start. */
  code?: 400 | 500 | 503 | 504;
  message?: string;
}

export interface GenerationRequest {
  /** Unique among the requests the engine holds. */
  id: string;
  /** Encoded with the engine's tokenizer; an empty prompt starts from end-of-text (GPT-2's document start). */
  prompt: string;
  /** Most tokens to generate. Integer ≥ 1. */
  maxTokens: number;
  /** Generation ends before the first occurrence of any of these; it is not streamed. */
  stop?: string[];
  /** 0 (default) = greedy; above 0 samples from softmax(logits / T). */
  temperature?: number;
  /** TTFT SLO, ms from submit: not started by then → ends with `deadline` (504), never started. Infinity for none. */
  deadlineTtftMs: number;
  /** TPOT SLO, ms: when each next token is due; orders the sequences of a step (earliest deadline first). */
  tpotSloMs: number;
  /** Whole-request limit, ms from submit; passed while running → ends with `deadline`. Default: none. */
  deadlineTotalMs?: number;
  /**
   * Called once per generated token with the text it releases: '' while a UTF-8 character is cut or
   * while the text could still become a stop string; the held text comes with a later token. Not
   * called after cancel. A throw ends the request with `error`.
   */
  onToken(text: string, tokenId: number): void;
  /** Called exactly once, last. */
  onDone(outcome: GenerationOutcome): void;
}

/** What a step did, for logs, tests and benchmarks. */
export interface GenerationStepEvent {
  step: number;
  /** Clock at plan time, ms. */
  atMs: number;
  joined: string[];
  decoded: string[];
  left: { id: string; reason: string }[];
  held: string[];
  /** Ended sequences computed as padding rows in the decode run (`finishedRows: 'pad'`). */
  padding: string[];
  /** Prompt tokens prefilled + sequences decoded. */
  batchTokens: number;
  /** Duration of the prefill run (0 when none), ms. */
  prefillMs: number;
  /** Duration of the decode run (0 when none), ms. */
  decodeMs: number;
  /** After the step. */
  running: number;
  waiting: number;
}

/** The slice of an onnxruntime session the engine uses. */
export type DecoderSession = Pick<ort.InferenceSession, 'run' | 'inputMetadata' | 'outputNames'>;

export interface GenerationTokenizer {
  encode(text: string): number[];
  /** A fresh streaming detokenizer for one sequence. */
  detokenizer(): { push(id: number): string; flush(): string };
}

export interface GenerationEngineOptions {
  /** A session of a model with the KV-cache decoder contract (see `buildTinyGpt`). Not released by the engine. */
  session: DecoderSession;
  /** Longest prompt + maxTokens the model takes (its positions: 256 for the default tiny GPT). Min 1. */
  maxSequenceTokens: number;
  /** Tokens one step may process (prompt tokens of joiners + one per decoding sequence). Min 1. Default 512. */
  maxBatchTokens?: number;
  /** Sequences holding a KV cache at once. Min 1. Default 16. */
  maxRunning?: number;
  /**
   * `continuous` (default): requests join and leave between decode steps (Orca). `request`: the
   * baseline, a new batch starts only when the whole previous batch has finished.
   */
  batching?: 'continuous' | 'request';
  /**
   * `request` batching only: what becomes of a sequence that ends (length, stop, cancel, deadline)
   * while the rest of its batch runs. Either way its onDone comes at once and no late request joins.
   * `leave` (default): it leaves the batch and is no longer computed, a stronger baseline than static
   * batching. `pad`: it stays in the decode runs as a padding row (its tokens discarded, greedy) until
   * the whole batch has ended, the compute of static batching (FasterTransformer, Orca's baseline;
   * Hugging Face `generate`). A padding row stops early only when it would pass `maxSequenceTokens`.
   */
  finishedRows?: 'leave' | 'pad';
  /** Token that ends generation with `stop`. Default 50256 (GPT-2 `<|endoftext|>`); null: none. */
  eosTokenId?: number | null;
  /** Default: GPT-2 r50k (gpt-tokenizer). */
  tokenizer?: GenerationTokenizer;
  /** Default: `performance.now()`. */
  clock?: { nowMs(): number };
  /** Uniform [0, 1) for temperature sampling. Default: mulberry32(1). */
  random?: () => number;
  /** Cache dimensions; default: read from the session's `past_key_0` metadata. */
  dims?: DecoderDims;
  /** Called after each step. */
  onStep?: (event: GenerationStepEvent) => void;
}
