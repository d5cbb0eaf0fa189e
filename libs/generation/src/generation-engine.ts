import type * as ort from 'onnxruntime-node';
import { ContinuousBatchParams, planStep, RunningSequence, StepLeave, WaitingRequest } from '@epara/policy';
import { mulberry32, StepLoop } from '@epara/runtime';
import {
  buildDecoderFeeds,
  DecoderDims,
  decoderDimsOf,
  DecoderRow,
  emptyKvCache,
  KvCache,
  readPresentCaches,
  rowGreedyToken,
  rowLogits,
} from './decoder-batch';
import { sampleToken } from './sampling';
import { findStop, heldTailLength } from './stop-sequences';
import { END_OF_TEXT_ID, r50kTokenizer } from './tokenizer';
import {
  DecoderSession,
  GenerationEngineOptions,
  GenerationOutcome,
  GenerationRequest,
  GenerationStepEvent,
  GenerationTokenizer,
} from './types';

/** One request's state, owned by the engine from submit to onDone. */
interface Sequence {
  req: GenerationRequest;
  promptIds: number[];
  submitMs: number;
  cache: KvCache;
  /** The latest sampled token: the next decode feeds it (it is not in the cache yet). */
  lastTokenId: number;
  generated: number;
  firstTokenMs?: number;
  lastTokenMs?: number;
  detok: { push(id: number): string; flush(): string };
  /** Text generated but held back (a possible stop-string prefix). */
  held: string;
  text: string;
  stopped: boolean;
  cancelled: boolean;
  /** onToken threw: ends with `error` and this message. */
  failure?: string;
}

/**
 * Token generation with iteration-level batching (Orca, OSDI '22): each step asks `planStep` (pure,
 * libs/policy) who leaves, who joins and who decodes, then runs the session at most twice: one
 * prefill run for the joiners (left-padded to a common length, each gets its first token) and one
 * decode run for the running sequences (one token each, pasts left-padded to the longest). Each
 * sequence keeps its own KV cache between steps, so the batch can change at every step.
 *
 * The loop runs while anything is running or waiting: `await session.run` (libuv pool), then
 * `setImmediate` so submits, cancels and timers get the event loop between steps. Callbacks run on
 * the loop; a callback that throws only ends its own request.
 */
export class GenerationEngine {
  private readonly session: DecoderSession;
  private readonly dims: DecoderDims;
  private readonly params: ContinuousBatchParams;
  private readonly eosTokenId: number | null;
  private readonly tokenizer: GenerationTokenizer;
  private readonly clock: { nowMs(): number };
  private readonly random: () => number;
  private readonly onStep?: (event: GenerationStepEvent) => void;
  private readonly waitingById = new Map<string, Sequence>();
  private readonly runningById = new Map<string, Sequence>();
  /** `finishedRows: 'pad'`: ended sequences of the running request-level batch, still computed. */
  private padRows: Sequence[] = [];
  private readonly padFinished: boolean;
  private readonly maxSequenceTokens: number;
  private stepCount = 0;
  // Start on the next turn of the event loop: requests submitted together (same tick) join the same
  // first step, and a cancel right after submit lands before the request starts.
  private readonly loop = new StepLoop({
    hasWork: () => this.waitingById.size > 0 || this.runningById.size > 0,
    // A plan with nothing to run while work remains cannot happen with valid params; the loop never spins on it.
    step: () => this.step(),
    endAll: () => this.endAll(),
    crashed: (e) => {
      // step() catches model errors per run; reaching here is a bug in the engine itself.
      const message = `generation loop failed: ${(e as Error).message ?? e}`;
      for (const seq of [...this.waitingById.values(), ...this.runningById.values()])
        this.finish(seq, { reason: 'error', code: 500, message });
    },
  });

  constructor(opts: GenerationEngineOptions) {
    const { maxSequenceTokens, maxBatchTokens = 512, maxRunning = 16, batching = 'continuous', finishedRows = 'leave' } = opts;
    for (const [name, v] of Object.entries({ maxSequenceTokens, maxBatchTokens, maxRunning })) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`GenerationEngine: ${name}=${v}, expected an integer ≥ 1`);
    }
    if (batching !== 'continuous' && batching !== 'request')
      throw new Error(`GenerationEngine: batching=${batching}, expected 'continuous' or 'request'`);
    if (finishedRows !== 'leave' && finishedRows !== 'pad')
      throw new Error(`GenerationEngine: finishedRows=${finishedRows}, expected 'leave' or 'pad'`);
    this.padFinished = batching === 'request' && finishedRows === 'pad';
    this.maxSequenceTokens = maxSequenceTokens;
    this.session = opts.session;
    this.dims = opts.dims ?? decoderDimsOf(opts.session);
    this.params = { maxSequenceTokens, maxBatchTokens, maxRunning, level: batching === 'request' ? 'request' : 'iteration' };
    this.eosTokenId = opts.eosTokenId === undefined ? END_OF_TEXT_ID : opts.eosTokenId;
    this.tokenizer = opts.tokenizer ?? r50kTokenizer;
    this.clock = opts.clock ?? { nowMs: () => performance.now() };
    this.random = opts.random ?? mulberry32(1);
    this.onStep = opts.onStep;
  }

  /** Sequences in the running batch (holding a KV cache). */
  get running(): number {
    return this.runningById.size;
  }

  /** Requests not started yet. */
  get waiting(): number {
    return this.waitingById.size;
  }

  /**
   * Queues a request; it may join at the next step. Throws on a duplicate id or maxTokens < 1 (caller
   * bugs); after `stop()` it ends at once with `error` 503.
   */
  submit(req: GenerationRequest): void {
    if (this.waitingById.has(req.id) || this.runningById.has(req.id))
      throw new Error(`GenerationEngine: request id ${req.id} is already in the engine`);
    if (!Number.isInteger(req.maxTokens) || req.maxTokens < 1)
      throw new Error(`GenerationEngine: request ${req.id} maxTokens=${req.maxTokens}, expected an integer ≥ 1`);
    const encoded = this.tokenizer.encode(req.prompt);
    const seq: Sequence = {
      req,
      promptIds: encoded.length > 0 ? encoded : [this.eosTokenId ?? END_OF_TEXT_ID],
      submitMs: this.clock.nowMs(),
      cache: emptyKvCache(),
      lastTokenId: -1,
      generated: 0,
      detok: this.tokenizer.detokenizer(),
      held: '',
      text: '',
      stopped: false,
      cancelled: false,
    };
    if (this.loop.stopping) {
      queueMicrotask(() => this.finish(seq, { reason: 'error', code: 503, message: 'generation engine is stopping' }));
      return;
    }
    this.waitingById.set(req.id, seq);
    this.loop.kick();
  }

  /** Stops the stream of `id` now (no onToken after this); onDone(`cancelled`) follows at the next step. False when unknown. */
  cancel(id: string): boolean {
    const seq = this.waitingById.get(id) ?? this.runningById.get(id);
    if (!seq) return false;
    seq.cancelled = true;
    this.loop.kick();
    return true;
  }

  /** Resolves when nothing is running or waiting (at once when idle). */
  whenIdle(): Promise<void> {
    return this.loop.whenIdle();
  }

  /**
   * Ends every request with `cancelled` after the step in flight, refuses new ones (503), and resolves
   * when the loop has exited. The session is the caller's to release.
   */
  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One iteration: plan, answer leavers, prefill joiners, decode the running. Returns whether it was idle. */
  private async step(): Promise<boolean> {
    const atMs = this.clock.nowMs();
    const plan = planStep(
      { running: [...this.runningById.values()].map(toRunning), waiting: [...this.waitingById.values()].map(toWaiting) },
      this.params,
      atMs,
    );
    for (const leave of plan.leave) {
      const seq = this.waitingById.get(leave.id) ?? this.runningById.get(leave.id);
      if (!seq) continue;
      this.finish(seq, outcomeOf(leave));
      if (this.padFinished && leave.from === 'running') this.padRows.push(seq);
    }
    // The request-level batch is over when none of its sequences runs; padding past the model's positions cannot run.
    this.padRows = this.runningById.size === 0 ? [] : this.padRows.filter((s) => s.cache.length < this.maxSequenceTokens);
    // Who decodes is fixed before the prefill: joiners got their first token from it and decode next step.
    const decoders = plan.decode.map((d) => this.runningById.get(d.id)).filter((s): s is Sequence => s !== undefined);
    let prefillMs = 0;
    let decodeMs = 0;
    if (plan.join.length > 0) {
      const joiners = plan.join.map((j) => this.waitingById.get(j.id)!);
      for (const seq of joiners) {
        this.waitingById.delete(seq.req.id);
        this.runningById.set(seq.req.id, seq);
      }
      prefillMs = await this.runAndSample(joiners, (s) => s.promptIds);
    }
    const padding = decoders.length > 0 ? this.padRows : [];
    if (decoders.length > 0) decodeMs = await this.runAndSample(decoders, (s) => [s.lastTokenId], padding);
    this.onStep?.({
      step: this.stepCount++,
      atMs,
      joined: plan.join.map((j) => j.id),
      decoded: plan.decode.map((d) => d.id),
      left: plan.leave.map((l) => ({ id: l.id, reason: l.reason })),
      held: plan.hold.map((h) => h.id),
      padding: padding.map((s) => s.req.id),
      batchTokens: plan.batchTokens,
      prefillMs,
      decodeMs,
      running: this.runningById.size,
      waiting: this.waitingById.size,
    });
    return plan.idle;
  }

  /**
   * One session run over `seqs` and then `padding` (ended sequences, fed their last token), then one
   * token each: accepted for `seqs`, greedy and only fed back for `padding`. A failed run ends all of
   * `seqs` with `error` 500. Returns the run's ms.
   */
  private async runAndSample(seqs: Sequence[], newIds: (s: Sequence) => number[], padding: Sequence[] = []): Promise<number> {
    const rows: DecoderRow[] = [...seqs, ...padding].map((s) => ({ cache: s.cache, newIds: newIds(s) }));
    const started = this.clock.nowMs();
    try {
      const batch = buildDecoderFeeds(rows, this.dims);
      const outputs = await this.session.run(batch.feeds);
      const caches = readPresentCaches(outputs, rows, batch, this.dims);
      const nowMs = this.clock.nowMs();
      seqs.forEach((seq, b) => {
        seq.cache = caches[b];
        this.accept(seq, this.nextToken(outputs, b, seq.req.temperature ?? 0), nowMs);
      });
      padding.forEach((seq, k) => {
        seq.cache = caches[seqs.length + k];
        seq.lastTokenId = this.nextToken(outputs, seqs.length + k, 0);
      });
      return nowMs - started;
    } catch (e) {
      this.padRows = this.padRows.filter((s) => !padding.includes(s));
      const message = `model run failed: ${((e as Error).message ?? String(e)).split('\n')[0].slice(0, 300)}`;
      for (const seq of seqs) if (this.runningById.has(seq.req.id)) this.finish(seq, { reason: 'error', code: 500, message });
      return this.clock.nowMs() - started;
    }
  }

  /** Row b's next token: the model's greedy output where it has one and T ≤ 0, else `sampleToken` on its logits. */
  private nextToken(outputs: ort.InferenceSession.OnnxValueMapType, b: number, temperature: number): number {
    return (!(temperature > 0) ? rowGreedyToken(outputs, b) : undefined) ?? sampleToken(rowLogits(outputs, b), temperature, this.random);
  }

  /** Books a sampled token and streams the text it releases. Whether the sequence leaves is the next plan's call. */
  private accept(seq: Sequence, tokenId: number, nowMs: number): void {
    seq.generated += 1;
    seq.lastTokenId = tokenId;
    seq.firstTokenMs ??= nowMs;
    seq.lastTokenMs = nowMs;
    if (seq.cancelled) return;
    const stops = seq.req.stop ?? [];
    const isEos = tokenId === this.eosTokenId;
    const isLast = isEos || seq.generated >= seq.req.maxTokens;
    let pending = seq.held + (isEos ? '' : seq.detok.push(tokenId));
    if (isLast) pending += seq.detok.flush();
    let release: string;
    const stopAt = findStop(pending, stops);
    if (stopAt >= 0) {
      release = pending.slice(0, stopAt);
      seq.held = '';
      seq.stopped = true;
    } else if (isLast) {
      release = pending;
      seq.held = '';
      seq.stopped = isEos;
    } else {
      const keep = heldTailLength(pending, stops);
      release = pending.slice(0, pending.length - keep);
      seq.held = pending.slice(pending.length - keep);
    }
    seq.text += release;
    try {
      seq.req.onToken(release, tokenId);
    } catch (e) {
      seq.failure = `onToken threw: ${(e as Error).message ?? e}`;
      seq.cancelled = true;
    }
  }

  private finish(seq: Sequence, end: Pick<GenerationOutcome, 'reason' | 'code' | 'message'>): void {
    this.waitingById.delete(seq.req.id);
    this.runningById.delete(seq.req.id);
    const { firstTokenMs, lastTokenMs, generated } = seq;
    const outcome: GenerationOutcome = {
      ...(seq.failure ? { reason: 'error', message: seq.failure } : end),
      tokens: generated,
      ttftMs: firstTokenMs === undefined ? null : firstTokenMs - seq.submitMs,
      tpotMs:
        generated >= 2 && firstTokenMs !== undefined && lastTokenMs !== undefined ? (lastTokenMs - firstTokenMs) / (generated - 1) : null,
      text: seq.text,
    };
    try {
      seq.req.onDone(outcome);
    } catch {
      // The request is over either way; a throwing onDone must not take the loop (and everyone else) down.
    }
  }

  private endAll(): void {
    this.padRows = [];
    for (const seq of [...this.waitingById.values(), ...this.runningById.values()])
      this.finish(seq, { reason: 'cancelled', message: 'generation engine stopped' });
  }
}

function toWaiting(seq: Sequence): WaitingRequest {
  return {
    id: seq.req.id,
    promptTokens: seq.promptIds.length,
    maxTokens: seq.req.maxTokens,
    arrivalMs: seq.submitMs,
    ttftDeadlineMs: seq.submitMs + seq.req.deadlineTtftMs,
    cancelled: seq.cancelled,
  };
}

function toRunning(seq: Sequence): RunningSequence {
  return {
    id: seq.req.id,
    promptTokens: seq.promptIds.length,
    generatedTokens: seq.generated,
    maxTokens: seq.req.maxTokens,
    arrivalMs: seq.submitMs,
    lastTokenMs: seq.lastTokenMs ?? seq.submitMs,
    tpotSloMs: seq.req.tpotSloMs,
    deadlineMs: seq.req.deadlineTotalMs === undefined ? undefined : seq.submitMs + seq.req.deadlineTotalMs,
    stopped: seq.stopped,
    cancelled: seq.cancelled,
  };
}

function outcomeOf(leave: StepLeave): Pick<GenerationOutcome, 'reason' | 'code' | 'message'> {
  if (leave.reason === 'too-long') return { reason: 'error', code: 400, message: leave.detail };
  if (leave.reason === 'deadline') return { reason: 'deadline', code: leave.code, message: leave.detail };
  if (leave.reason === 'cancelled') return { reason: 'cancelled', message: leave.detail };
  return { reason: leave.reason };
}
