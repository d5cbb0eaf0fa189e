/**
 * Iteration-level ("continuous") batching of token generation: the batch is re-formed at every decode
 * step, so requests join and leave between steps instead of waiting for a whole batch to finish.
 * After Orca (Yu et al., OSDI '22, §3.1 iteration-level scheduling; §3.2 selective batching, which
 * is why prefill and decode may run as separate passes of one step).
 */

/** A request not started yet: no KV cache, no token. */
export interface WaitingRequest {
  id: string;
  /** Prompt length in tokens: what its prefill costs in a step's token budget. Min 1. */
  promptTokens: number;
  /** Most tokens it may generate. Min 1. */
  maxTokens: number;
  /** When it was submitted, epoch ms (tie-break: first come first served). */
  arrivalMs: number;
  /** Its first token is due by this time, epoch ms (arrival + TTFT SLO). Infinity for none. */
  ttftDeadlineMs: number;
  /** The client gave up; it leaves at the next step. */
  cancelled?: boolean;
}

/** A request in the running batch: it has a KV cache and at least its first token. */
export interface RunningSequence {
  id: string;
  promptTokens: number;
  /** Tokens generated so far (≥ 1: the prefill step produced the first). */
  generatedTokens: number;
  maxTokens: number;
  arrivalMs: number;
  /** When its latest token was produced, epoch ms. Its next one is due by lastTokenMs + tpotSloMs. */
  lastTokenMs: number;
  /** Time-per-output-token SLO, ms. Infinity for none. */
  tpotSloMs: number;
  /** Whole request due by this time, epoch ms; past it, it leaves with `deadline`. Absent: no limit. */
  deadlineMs?: number;
  /** The engine saw a stop sequence or end-of-text in its output; it leaves with `stop`. */
  stopped?: boolean;
  cancelled?: boolean;
}

export interface ContinuousBatchState {
  running: readonly RunningSequence[];
  waiting: readonly WaitingRequest[];
}

export const BatchingLevel = {
  /** Orca-style: waiting requests join the running batch between any two steps. */
  Iteration: 'iteration',
  /** Baseline: a batch is admitted only when the previous one has fully finished. */
  Request: 'request',
} as const;
export type BatchingLevel = (typeof BatchingLevel)[keyof typeof BatchingLevel];

export interface ContinuousBatchParams {
  /**
   * Tokens one step may process: the prompt tokens of every request that joins (prefill) plus one per
   * running sequence that decodes. Bounds step latency, hence the TPOT of everyone in the batch. Min 1.
   * A prompt longer than this can never be scheduled and leaves as `too-long`.
   */
  maxBatchTokens: number;
  /** Sequences holding a KV cache at once (running after the step's joins). Bounds memory. Min 1. */
  maxRunning: number;
  /** Longest prompt + generation the model takes (its positions). Default Infinity. */
  maxSequenceTokens?: number;
  /** Default `iteration`. */
  level?: BatchingLevel;
}

export const LeaveReason = {
  /** Generated maxTokens. */
  Length: 'length',
  /** A stop sequence or end-of-text. */
  Stop: 'stop',
  Cancelled: 'cancelled',
  /** Waiting: its TTFT deadline passed before it could start (answered 504). Running: `deadlineMs` passed. */
  Deadline: 'deadline',
  /** Waiting: prompt + maxTokens exceeds the model, or the prompt exceeds maxBatchTokens (answered 400). */
  TooLong: 'too-long',
} as const;
export type LeaveReason = (typeof LeaveReason)[keyof typeof LeaveReason];

export interface StepLeave {
  id: string;
  from: 'running' | 'waiting';
  reason: LeaveReason;
  /** The error code to answer with, where leaving is a failure: 504 (deadline before start), 400 (too long). */
  code?: 400 | 504;
  detail: string;
}

export interface StepJoin {
  id: string;
  /** Prefill tokens it costs this step. */
  promptTokens: number;
  /** Its TTFT deadline, epoch ms: the key it was ordered by. */
  deadlineMs: number;
}

export interface StepDecode {
  id: string;
  /** Its next token's due time (lastTokenMs + tpotSloMs), epoch ms: the key it was ordered by. */
  deadlineMs: number;
}

/** Stays where it is (waiting, or running with its cache kept) and is not served this step. */
export interface StepHold {
  id: string;
  from: 'running' | 'waiting';
  reason: string;
}

/**
 * What one step does. The caller applies it in this order: answer `leave`, prefill `join` (each gets
 * its first token), decode `decode` (each gets one token). `join` and `decode` are in
 * earliest-deadline-first order.
 */
export interface StepPlan {
  leave: StepLeave[];
  join: StepJoin[];
  decode: StepDecode[];
  hold: StepHold[];
  /** Tokens the step processes: Σ join.promptTokens + decode.length ≤ maxBatchTokens. */
  batchTokens: number;
  /** Nothing to run this step (no join, no decode). */
  idle: boolean;
}
