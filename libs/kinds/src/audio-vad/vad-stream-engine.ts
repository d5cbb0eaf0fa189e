import { StepLoop } from '@epara/runtime';
import { checkSpeechHysteresis, DEFAULT_SPEECH_HYSTERESIS, SpeechHysteresisParams, SpeechState, stepSpeech } from './speech-hysteresis';
import {
  VAD_CONTEXT_SAMPLES,
  VAD_STATE_SIZE,
  VAD_WINDOW_MS,
  VAD_WINDOW_SAMPLES,
  VadFrame,
  VadFrameOutcome,
  VadFrameResult,
  VadRunner,
  VadStepEvent,
  VadStreamEngineOptions,
  VadWindowRun,
} from './types';

/** A frame, cut into its windows at submit (each with the previous window's tail in front). */
interface PendingFrame {
  frame: VadFrame;
  arrivalMs: number;
  inputs: Float32Array[];
  next: number;
  result: VadFrameResult;
  firstRunMs?: number;
  execMs: number;
  batchSize: number;
}

/** One stream's state on this replica, owned by the engine. */
interface StreamSlot {
  id: string;
  state: Float32Array;
  /** The last `VAD_CONTEXT_SAMPLES` samples cut so far: the next window's context. */
  context: Float32Array;
  /** Samples received but short of a window. */
  carry: Float32Array;
  /** Windows cut so far: the stream time of the next one is this × VAD_WINDOW_MS. */
  windowsCut: number;
  speech: SpeechState;
  lastSeenMs: number;
  /** In arrival order; only the head runs. */
  frames: PendingFrame[];
}

/**
 * Silero VAD over many streams with iteration-level batching (as the GenerationEngine does for tokens):
 * each step runs the next window of every stream that has audio waiting (earliest frame deadline first,
 * at most `maxBatchStreams`), gathering their states into one `[2, B, 128]` run and scattering the new
 * states back. A stream's windows run in order through its own state, so frames of one stream are
 * answered in order; a frame is answered when its last window ran. The engine keeps each stream's state,
 * context and speech hysteresis, and forgets a stream idle for `idleMs`.
 *
 * The loop (StepLoop) runs while frames wait: `await runner.run`, then `setImmediate` so submits and
 * timers get the event loop between steps; frames submitted in one tick join the same first step. Callbacks run on the loop; a throwing callback ends nobody else's frame.
 */
export class VadStreamEngine {
  private readonly runner: VadRunner;
  private readonly maxBatchStreams: number;
  private readonly idleMs: number;
  private readonly maxQueuedFrames: number;
  private readonly hysteresis: SpeechHysteresisParams;
  private readonly label: string;
  private readonly clock: { nowMs(): number };
  private readonly onStep?: (event: VadStepEvent) => void;
  private readonly streamsById = new Map<string, StreamSlot>();
  private queuedFrames = 0;
  private runningFrames = 0;
  private lastSweepMs: number;
  private readonly loop = new StepLoop({
    hasWork: () => this.queuedFrames > 0,
    step: async () => {
      await this.step();
      return false;
    },
    endAll: () => this.endAll(),
    // step() catches runner errors; reaching here is a bug in the engine itself.
    crashed: (e) => this.failAll(500, `VAD loop failed: ${(e as Error).message ?? e}`),
  });

  constructor(opts: VadStreamEngineOptions) {
    const { maxBatchStreams = 64, idleMs = 30_000, maxQueuedFrames = 4096 } = opts;
    for (const [name, v] of Object.entries({ maxBatchStreams, idleMs, maxQueuedFrames }))
      if (!Number.isInteger(v) || v < 1) throw new Error(`VadStreamEngine: ${name}=${v}, expected an integer ≥ 1`);
    this.runner = opts.runner;
    this.maxBatchStreams = maxBatchStreams;
    this.idleMs = idleMs;
    this.maxQueuedFrames = maxQueuedFrames;
    this.hysteresis = checkSpeechHysteresis(opts.hysteresis ?? DEFAULT_SPEECH_HYSTERESIS);
    this.label = opts.label ?? 'this replica';
    this.clock = opts.clock ?? { nowMs: () => Date.now() };
    this.onStep = opts.onStep;
    this.lastSweepMs = this.clock.nowMs();
  }

  /** Frames waiting for their windows to run (not in the step in flight). */
  get queued(): number {
    return this.queuedFrames - this.runningFrames;
  }

  /** Frames with a window in the step in flight. */
  get running(): number {
    return this.runningFrames;
  }

  /** Streams whose state this engine holds. */
  get streams(): number {
    return this.streamsById.size;
  }

  /** Queues a frame behind the stream's earlier ones. After `stop()` it is answered 503. */
  submit(frame: VadFrame): void {
    const now = this.clock.nowMs();
    if (this.loop.stopping) return this.answer(frame, { ok: false, code: 503, message: `${this.label} is stopping; retry` });
    if (this.queuedFrames >= this.maxQueuedFrames)
      return this.answer(frame, {
        ok: false,
        code: 429,
        message: `${this.label} has ${this.queuedFrames} frames waiting (the most it queues); retry shortly`,
      });
    this.sweepIfDue(now);
    let slot = this.streamsById.get(frame.streamId);
    const restarted = slot === undefined;
    if (!slot) {
      slot = {
        id: frame.streamId,
        state: new Float32Array(VAD_STATE_SIZE),
        context: new Float32Array(VAD_CONTEXT_SAMPLES),
        carry: new Float32Array(0),
        windowsCut: 0,
        speech: { speaking: false },
        lastSeenMs: now,
        frames: [],
      };
      this.streamsById.set(frame.streamId, slot);
    }
    slot.lastSeenMs = now;
    const pending: PendingFrame = {
      frame,
      arrivalMs: now,
      inputs: [],
      next: 0,
      execMs: 0,
      batchSize: 0,
      result: {
        stream: frame.streamId,
        restarted,
        ...(restarted
          ? {
              reason: `${this.label} held no state for stream "${frame.streamId}" (a new stream, one idle over ${this.idleMs / 1000} s, or one whose replica changed): it starts from fresh state and its times count from this frame`,
            }
          : {}),
        offsetMs: slot.windowsCut * VAD_WINDOW_MS,
        windowMs: VAD_WINDOW_MS,
        probabilities: [],
        events: [],
        speaking: slot.speech.speaking,
        carriedSamples: 0,
      },
    };
    this.cut(slot, pending, frame.samples);
    slot.frames.push(pending);
    this.queuedFrames++;
    if (slot.frames.length === 1) this.completeHeads(slot);
    if (slot.frames.length > 0) this.loop.kick();
  }

  /** Forgets streams with nothing queued whose last frame came `idleMs` or more before `nowMs`. Returns how many. */
  forgetIdle(nowMs: number): number {
    this.lastSweepMs = nowMs;
    let n = 0;
    for (const [id, s] of this.streamsById)
      if (s.frames.length === 0 && nowMs - s.lastSeenMs >= this.idleMs) {
        this.streamsById.delete(id);
        n++;
      }
    return n;
  }

  /** Resolves when no frame waits (at once when idle). */
  whenIdle(): Promise<void> {
    return this.loop.whenIdle();
  }

  /** Answers every waiting frame 503 after the step in flight, refuses new ones, and forgets every stream. */
  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Appends samples to the stream and cuts every whole window, each with its context in front. */
  private cut(slot: StreamSlot, pending: PendingFrame, samples: Float32Array): void {
    let all = samples;
    if (slot.carry.length > 0) {
      all = new Float32Array(slot.carry.length + samples.length);
      all.set(slot.carry);
      all.set(samples, slot.carry.length);
    }
    const windows = Math.floor(all.length / VAD_WINDOW_SAMPLES);
    for (let w = 0; w < windows; w++) {
      const input = new Float32Array(VAD_CONTEXT_SAMPLES + VAD_WINDOW_SAMPLES);
      input.set(slot.context);
      const window = all.subarray(w * VAD_WINDOW_SAMPLES, (w + 1) * VAD_WINDOW_SAMPLES);
      input.set(window, VAD_CONTEXT_SAMPLES);
      slot.context = window.slice(VAD_WINDOW_SAMPLES - VAD_CONTEXT_SAMPLES);
      pending.inputs.push(input);
    }
    slot.windowsCut += windows;
    slot.carry = all.slice(windows * VAD_WINDOW_SAMPLES);
    pending.result.carriedSamples = slot.carry.length;
  }

  /** One step: skip what missed its deadline, run one window of up to maxBatchStreams streams, scatter. */
  private async step(): Promise<void> {
    const now = this.clock.nowMs();
    this.sweepIfDue(now);
    const ready: StreamSlot[] = [];
    for (const slot of this.streamsById.values()) {
      // A frame none of whose windows ran by its deadline is answered 504 and its audio skipped (its
      // windows keep their place in the stream's time); one that started finishes, late, to keep the state whole.
      while (slot.frames.length > 0 && slot.frames[0].next === 0 && slot.frames[0].frame.deadlineMs <= now) {
        const late = this.shift(slot);
        this.answer(late.frame, {
          ok: false,
          code: 504,
          message: `frame of stream "${slot.id}" waited past its deadline on ${this.label}; its ${late.inputs.length} window(s) were skipped`,
        });
        this.completeHeads(slot);
      }
      if (slot.frames.length > 0) ready.push(slot);
    }
    if (ready.length === 0) return;
    // Earliest deadline first, when more streams wait than one step runs.
    if (ready.length > this.maxBatchStreams) ready.sort((a, b) => a.frames[0].frame.deadlineMs - b.frames[0].frame.deadlineMs);
    const batch = ready.slice(0, this.maxBatchStreams);
    const runs: VadWindowRun[] = batch.map((s) => ({ input: s.frames[0].inputs[s.frames[0].next], state: s.state }));
    this.runningFrames = batch.length;
    const started = this.clock.nowMs();
    let results;
    try {
      results = await this.runner.run(runs);
      if (results.length !== runs.length) throw new Error(`the runner returned ${results.length} results for ${runs.length} windows`);
    } catch (e) {
      const message = `VAD model run failed on ${this.label}: ${((e as Error).message ?? String(e)).split('\n')[0].slice(0, 300)}`;
      this.runningFrames = 0;
      // The streams' states did not advance: their frames fail, later frames go on from the same state.
      for (const slot of batch) {
        this.answer(this.shift(slot).frame, { ok: false, code: 500, message });
        this.completeHeads(slot);
      }
      return;
    }
    const execMs = this.clock.nowMs() - started;
    this.runningFrames = 0;
    batch.forEach((slot, b) => {
      const head = slot.frames[0];
      const { prob, state } = results[b];
      slot.state = state;
      head.firstRunMs ??= started;
      head.execMs += execMs;
      head.batchSize = Math.max(head.batchSize, batch.length);
      const startMs = head.result.offsetMs + head.next * VAD_WINDOW_MS;
      head.result.probabilities.push(prob);
      const event = stepSpeech(slot.speech, prob, startMs, VAD_WINDOW_MS, this.hysteresis);
      if (event) head.result.events.push(event);
      head.next++;
      this.completeHeads(slot);
    });
    this.onStep?.({ streams: batch.length, execMs, queued: this.queued });
  }

  /** Answers the stream's head frames that have no window left to run. */
  private completeHeads(slot: StreamSlot): void {
    while (slot.frames.length > 0 && slot.frames[0].next >= slot.frames[0].inputs.length) {
      const done = this.shift(slot);
      done.result.speaking = slot.speech.speaking;
      this.answer(done.frame, {
        ok: true,
        result: done.result,
        served: {
          batchSize: done.batchSize,
          queueMs: done.firstRunMs === undefined ? 0 : Math.max(0, done.firstRunMs - done.arrivalMs),
          execMs: done.execMs,
        },
      });
    }
  }

  private shift(slot: StreamSlot): PendingFrame {
    const f = slot.frames.shift()!;
    this.queuedFrames--;
    slot.lastSeenMs = this.clock.nowMs();
    return f;
  }

  private sweepIfDue(nowMs: number): void {
    if (nowMs - this.lastSweepMs >= this.idleMs / 4) this.forgetIdle(nowMs);
  }

  private answer(frame: VadFrame, outcome: VadFrameOutcome): void {
    try {
      frame.onDone(outcome);
    } catch {
      // The frame is over either way; a throwing callback must not take the loop (and every stream) down.
    }
  }

  private failAll(code: 500 | 503, message: string): void {
    for (const slot of this.streamsById.values())
      while (slot.frames.length > 0) this.answer(this.shift(slot).frame, { ok: false, code, message });
    this.runningFrames = 0;
  }

  private endAll(): void {
    this.failAll(503, `${this.label} stopped (the function is unloading here); retry`);
    this.streamsById.clear();
  }
}
