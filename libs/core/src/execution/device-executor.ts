import { EparaError } from '@epara/contracts';
// Leaf modules, not the index: under tsx each call through a re-export costs getters, and the
// simulator (apps/sim) runs this code millions of times per simulated hour.
import type { AdaptiveExecEstimator } from '@epara/policy/batching/adaptive-exec-estimator';
import { canStillMeet } from '@epara/policy/batching/decide-batch';
import { pickNextQueue } from '@epara/policy/batching/pick-next-queue';
import { toQueueCandidate } from '@epara/policy/batching/to-queue-candidate';
import type { BatchParams, QueueCandidate, QueueView } from '@epara/policy/batching/types';
import type { FunctionBatching } from '@epara/policy/serving-policy/batching-for';
import { FunctionQueue, viewOf } from './function-queue';
import { PendingRequest } from './pending-request';
import { Clock, realClock, realTimers, Timers } from '../ports/clock';

export type { FunctionBatching };

/** What the executor needs to run a function; the worker service owns the model behind `run`. */
export interface FunctionSlot {
  batching: FunctionBatching;
  readonly estimator: AdaptiveExecEstimator;
  /** Runs one batch (all one shape group) and settles every request in it. Must not throw. */
  run: (batch: PendingRequest[]) => Promise<void>;
}

interface SlotState {
  fn: string;
  slot: FunctionSlot;
  queue: FunctionQueue;
  params: BatchParams;
  running: number;
  completed: number;
  /** Shape group → its key among `pickNextQueue` candidates (`<fn>\0<group>`), built once per group. */
  keys: Map<string, string>;
  /** In `DeviceExecutor.withWork`. */
  listed: boolean;
  /** Called once when the function has nothing queued and nothing running (`whenIdle`); undefined when none wait. */
  idleWaiters: (() => void)[] | undefined;
}

const NOTHING_TO_CANCEL = (): void => undefined;

const KEY_SEPARATOR = '\u0000';

/**
 * One device's dynamic batcher (after Triton's dynamic batcher, with deadlines): every function
 * has an earliest-deadline-first queue per shape group; the device runs `concurrency` batches at a time
 * and picks the next one across all its functions by deadline urgency, so a frequency-heavy function
 * cannot starve a latency-sensitive one. Decisions come from `libs/policy`; this class only waits,
 * takes and dispatches.
 */
export class DeviceExecutor {
  private readonly slots = new Map<string, SlotState>();
  /**
   * Functions with something queued, in the order they last got work (the tie-break among equally
   * urgent queues follows it): what `pump` scans. A device may hold hundreds of functions while only a
   * few have work at any moment (the simulator's 100-device runs spent most of their time here). An
   * array with a flag per slot, not a Set of names: one add and one removal per request, no lookups.
   */
  private readonly withWork: SlotState[] = [];
  private runningBatches = 0;
  private timer?: unknown;
  private timerAt = Infinity;
  private busySinceMs?: number;
  private busyMsAcc = 0;
  /** Requests queued over all functions (kept, not summed: heartbeats read it every second). */
  private queuedTotal = 0;
  // Scratch of `pump`, reused across calls (it runs several times per request): the candidates, and
  // for each the slot and shape group it stands for.
  private readonly candidates: QueueCandidate[] = [];
  private readonly candidateSlots: SlotState[] = [];
  private readonly candidateGroups: string[] = [];
  private readonly view: QueueView = { size: 0, oldestArrivalMs: 0, earliestDeadlineMs: 0 };
  // What `settleHopeless` reports (set by `dropHopeless` just before the queue calls it back).
  private dropNowMs = 0;
  private dropExec1Ms = 0;
  private droppedOnEstimate = false;

  constructor(
    private readonly concurrency: number,
    private readonly maxQueue: number,
    private readonly clock: Clock = realClock,
    private readonly timers: Timers = realTimers,
  ) {}

  register(fn: string, slot: FunctionSlot): void {
    const existing = this.slots.get(fn);
    const params: BatchParams = {
      maxBatchSize: slot.batching.maxBatchSize,
      preferredBatchSize: slot.batching.preferredBatchSize,
      maxQueueDelayMs: slot.batching.maxQueueDelayMs,
      execMs: slot.estimator.execMs,
    };
    const state: SlotState = {
      fn,
      slot,
      queue: existing?.queue ?? new FunctionQueue(),
      params,
      running: existing?.running ?? 0,
      completed: existing?.completed ?? 0,
      keys: existing?.keys ?? new Map(),
      listed: existing?.listed ?? false,
      idleWaiters: existing?.idleWaiters,
    };
    if (existing) existing.idleWaiters = undefined;
    this.slots.set(fn, state);
    // The queue carries over: so does its place among the functions with work.
    if (existing?.listed) this.withWork[this.withWork.indexOf(existing)] = state;
  }

  /** Updates batching limits in place (placement changed or measurements moved them). */
  retune(fn: string, batching: FunctionBatching): void {
    const s = this.slots.get(fn);
    if (!s) return;
    s.slot.batching = batching;
    s.params = { ...s.params, ...batching };
  }

  /** Stops serving a function: queued requests are answered with `reason`. */
  unregister(fn: string, reason: EparaError): void {
    const s = this.slots.get(fn);
    if (!s) return;
    this.slots.delete(fn);
    this.unlist(s);
    this.queuedTotal -= s.queue.size;
    for (const r of s.queue.drainAll()) r.settle({ error: reason });
    if (s.idleWaiters !== undefined) this.notifyIdle(s);
  }

  /**
   * Calls `onIdle` once, when `fn` has nothing queued and nothing running here: at once when that is
   * so now (or `fn` is not served here), else when its last batch finishes or its last queued request
   * is dropped. A draining function is unloaded on it instead of polling its load. Returns a cancel.
   */
  whenIdle(fn: string, onIdle: () => void): () => void {
    const s = this.slots.get(fn);
    if (!s || (s.queue.size === 0 && s.running === 0)) {
      onIdle();
      return NOTHING_TO_CANCEL;
    }
    (s.idleWaiters ??= []).push(onIdle);
    return () => {
      const waiters = this.slots.get(fn)?.idleWaiters;
      const i = waiters ? waiters.indexOf(onIdle) : -1;
      if (i >= 0) waiters!.splice(i, 1);
    };
  }

  private notifyIdle(s: SlotState): void {
    const waiters = s.idleWaiters!;
    s.idleWaiters = undefined;
    for (const onIdle of waiters) onIdle();
  }

  batching(fn: string): FunctionBatching | undefined {
    return this.slots.get(fn)?.slot.batching;
  }

  has(fn: string): boolean {
    return this.slots.has(fn);
  }

  /**
   * Queues a request. Throws 429 when the function's queue is full or so long that the request would
   * miss its deadline waiting (shed at once rather than after waiting: the caller can go elsewhere, and
   * the device does not decode and hold work it will drop), 404 when the function is not served here.
   * A request that cannot meet its deadline even alone is answered 504 and never queued.
   */
  enqueue(r: PendingRequest): void {
    const refusal = this.offer(r);
    if (refusal) throw refusal.toError();
  }

  /**
   * `enqueue` that returns the 404 / 429 refusal instead of throwing it (undefined: queued or answered
   * 504), and builds its error only when asked. For callers on a hot path: the simulator sheds
   * hundreds of thousands of requests per simulated hour, and an exception (with its message) for
   * each was a large share of its run time.
   */
  offer(r: PendingRequest): Refusal | undefined {
    const s = this.slots.get(r.fn);
    if (!s) return Refusal.notServed(r.fn);
    const refusal = this.refusalFor(s, r.deadlineMs);
    if (refusal?.code === 504) {
      r.settle({ error: refusal.toError(r.requestId) });
      return undefined;
    }
    if (refusal) return refusal;
    s.queue.add(r);
    this.queuedTotal++;
    if (!s.listed) {
      s.listed = true;
      this.withWork.push(s);
    }
    this.pump();
    return undefined;
  }

  /**
   * The checks `offer` makes, for a request that has not been decoded yet: the worker asks before it
   * decodes a body, so that under overload a refused request costs a header read, not a decode. A 504
   * here (one run alone cannot meet the deadline) is a refusal like the others; undefined: it would be queued now.
   */
  admit(fn: string, deadlineMs: number): Refusal | undefined {
    const s = this.slots.get(fn);
    if (!s) return Refusal.notServed(fn);
    return this.refusalFor(s, deadlineMs);
  }

  private refusalFor(s: SlotState, deadlineMs: number): Refusal | undefined {
    if (s.queue.size >= this.maxQueue) return Refusal.queueFull(s.fn, this.maxQueue, this.drainMs(s, s.queue.size));
    const now = this.clock.nowMs();
    const exec1 = s.params.execMs(1);
    if (!canStillMeet(deadlineMs, now, exec1)) {
      // Refused on the estimate alone (time was left): the estimate must not stay where nothing runs to correct it.
      if (deadlineMs > now) s.slot.estimator.relax(1);
      return Refusal.tooLate(s.fn, exec1, Math.max(0, deadlineMs - now));
    }
    // Only requests with earlier deadlines run first (EDF): a more urgent arrival goes ahead of the rest.
    const ahead = s.queue.countAhead(deadlineMs);
    const drainMs = this.drainMs(s, ahead);
    if (ahead > 0 && !canStillMeet(deadlineMs, now + drainMs, exec1)) return Refusal.overloaded(s.fn, s.queue.size, ahead, drainMs);
    return undefined;
  }

  /** How long `requests` queued requests take to run at the preferred batch size, ms (an estimate). */
  private drainMs(s: SlotState, requests: number): number {
    const size = Math.max(1, Math.min(s.params.preferredBatchSize, s.params.maxBatchSize));
    const full = Math.floor(requests / size);
    const rest = requests - full * size;
    return full * s.params.execMs(size) + (rest > 0 ? s.params.execMs(rest) : 0);
  }

  /** Queued requests per function and in total, for heartbeats and metrics. */
  load(fn: string): { queued: number; running: number; completed: number } {
    const s = this.slots.get(fn);
    return s ? { queued: s.queue.size, running: s.running, completed: s.completed } : { queued: 0, running: 0, completed: 0 };
  }

  /** Queued requests of one function (0 when not served here); `load(fn).queued` without the object. */
  queuedOf(fn: string): number {
    return this.slots.get(fn)?.queue.size ?? 0;
  }

  /** Requests of one function run so far (0 when not served here); `load(fn).completed` without the object. */
  completedOf(fn: string): number {
    return this.slots.get(fn)?.completed ?? 0;
  }

  get queued(): number {
    return this.queuedTotal;
  }

  get running(): number {
    return this.runningBatches;
  }

  /** Busy time since the last call, ms (for utilisation). */
  takeBusyMs(): number {
    const now = this.clock.nowMs();
    let busy = this.busyMsAcc;
    if (this.busySinceMs !== undefined) {
      busy += now - this.busySinceMs;
      this.busySinceMs = now;
    }
    this.busyMsAcc = 0;
    return busy;
  }

  private dropHopeless(s: SlotState, now: number): void {
    const before = s.queue.size;
    if (before === 0) return;
    this.dropNowMs = now;
    this.dropExec1Ms = s.params.execMs(1);
    this.droppedOnEstimate = false;
    s.queue.dropHopeless(now, this.dropExec1Ms, this.settleHopeless);
    this.queuedTotal -= before - s.queue.size;
    // As in `offer`: drops the estimate alone decided pull it back a step (see AdaptiveExecEstimator.relax).
    if (this.droppedOnEstimate) s.slot.estimator.relax(1);
  }

  /** Answers one request `dropHopeless` removed (a bound method: no closure per pump). */
  private readonly settleHopeless = (r: PendingRequest): void => {
    if (r.deadlineMs > this.dropNowMs) this.droppedOnEstimate = true;
    const waited = this.dropNowMs - r.arrivalMs;
    r.settle({
      error: EparaError.deadline(
        `deadline passed before the request could run (waited ${waited.toFixed(1)} ms; one run takes ${this.dropExec1Ms.toFixed(1)} ms)`,
        {
          requestId: r.requestId,
        },
      ),
    });
  };

  /** Decides and dispatches until the device is full or nothing may run yet; then arms one timer. */
  pump(): void {
    const candidates = this.candidates;
    const slots = this.candidateSlots;
    const groups = this.candidateGroups;
    while (this.runningBatches < this.concurrency) {
      const now = this.clock.nowMs();
      let n = 0;
      // Drop what is hopeless and build the candidates; functions left with nothing leave the list
      // (compacted in place, order kept).
      const list = this.withWork;
      let kept = 0;
      for (let k = 0; k < list.length; k++) {
        const s = list[k];
        this.dropHopeless(s, now);
        if (s.queue.size === 0) {
          s.listed = false;
          // Dropping emptied it: a function draining with nothing running is idle now.
          if (s.idleWaiters !== undefined && s.running === 0) this.notifyIdle(s);
          continue;
        }
        list[kept++] = s;
        for (const [group, g] of s.queue.groupEntries()) {
          if (g.length === 0) continue;
          let key = s.keys.get(group);
          if (key === undefined) s.keys.set(group, (key = s.fn + KEY_SEPARATOR + group));
          candidates[n] = toQueueCandidate(key, viewOf(g, this.view), s.params, now);
          slots[n] = s;
          groups[n] = group;
          n++;
        }
      }
      list.length = kept;
      candidates.length = n;
      // With one batch at a time, pass the clock: a waiting queue that cannot wait behind the chosen
      // batch runs first (policy's latest-start rule). With several at once that rule does not hold.
      const next = pickNextQueue(candidates, this.concurrency === 1 ? now : undefined);
      if (next.kind === 'idle') return;
      if (next.kind === 'wait') {
        this.arm(next.forMs);
        return;
      }
      let i = 0;
      while (candidates[i].key !== next.key) i++;
      const s = slots[i];
      const group = groups[i];
      const batch = s.queue.take(group, this.sizeForHead(s, group, next.size, now));
      this.queuedTotal -= batch.length;
      this.dispatch(s, batch);
      if (s.queue.size === 0) this.unlist(s);
    }
  }

  private unlist(s: SlotState): void {
    if (!s.listed) return;
    s.listed = false;
    this.withWork.splice(this.withWork.indexOf(s), 1);
  }

  /**
   * A full batch takes longer than a small one: shrink it until the most urgent request in it still
   * finishes by its deadline (the rest wait for the next run), but never below one.
   */
  private sizeForHead(s: SlotState, group: string, size: number, now: number): number {
    const head = s.queue.headDeadline(group);
    let n = size;
    while (n > 1 && now + s.params.execMs(n) > head) n = Math.max(1, Math.floor(n / 2));
    return n;
  }

  private arm(forMs: number): void {
    const at = this.clock.nowMs() + forMs;
    if (this.timer && at >= this.timerAt) return;
    if (this.timer) this.timers.clear(this.timer);
    this.timerAt = at;
    this.timer = this.timers.set(
      () => {
        this.timer = undefined;
        this.timerAt = Infinity;
        this.pump();
      },
      Math.max(0, forMs),
    );
  }

  private dispatch(s: SlotState, batch: PendingRequest[]): void {
    if (batch.length === 0) return;
    if (this.runningBatches++ === 0) this.busySinceMs = this.clock.nowMs();
    s.running += batch.length;
    // Either outcome: run settles every request itself, a rejection only must not stop the loop.
    // Anonymous callbacks: under tsx (esbuild keepNames) a named one costs a defineProperty per batch.
    const n = batch.length;
    s.slot.run(batch).then(
      () => this.finished(s, n),
      () => this.finished(s, n),
    );
  }

  /** A batch of `n` requests of `s` finished (either way): account for it and run what is next. */
  private finished(s: SlotState, n: number): void {
    s.running -= n;
    s.completed += n;
    if (--this.runningBatches === 0 && this.busySinceMs !== undefined) {
      this.busyMsAcc += this.clock.nowMs() - this.busySinceMs;
      this.busySinceMs = undefined;
    }
    // Only draining functions have waiters: one field read per batch otherwise.
    if (s.idleWaiters !== undefined && s.running === 0 && s.queue.size === 0) this.notifyIdle(s);
    this.pump();
  }

  /** Answers everything queued (shutdown). */
  stop(reason: EparaError): void {
    if (this.timer) this.timers.clear(this.timer);
    for (const fn of [...this.slots.keys()]) this.unregister(fn, reason);
  }
}

/**
 * Why `DeviceExecutor.offer` (or `admit`) did not queue a request: 404 (the function is not served
 * here), 429 (its queue is full, or so long that the request would miss its deadline waiting; with how
 * long until the queue ahead has drained, for the caller's Retry-After) or 504 (one run alone would miss
 * the deadline). `toError` builds the error; callers that need only the code skip building it.
 */
export class Refusal {
  private constructor(
    readonly code: 404 | 429 | 504,
    private readonly build: (requestId?: string) => EparaError,
  ) {}

  /** 404: the function is not loaded on this device. */
  static notServed(fn: string): Refusal {
    return new Refusal(404, () => EparaError.notFound(`function "${fn}" is not loaded on this device`));
  }

  /** 429: the queue holds its limit; a retry before `drainMs` from now is refused again. */
  static queueFull(fn: string, limit: number, drainMs: number): Refusal {
    return new Refusal(429, () =>
      EparaError.shed(`queue of "${fn}" is full (${limit} requests waiting); retry later`, {
        queued: limit,
        retryAfterMs: Math.ceil(drainMs),
      }),
    );
  }

  /** 429: the `ahead` requests with earlier deadlines take `drainMs`, past this request's deadline. */
  static overloaded(fn: string, queued: number, ahead: number, drainMs: number): Refusal {
    return new Refusal(429, () =>
      EparaError.shed(
        `"${fn}" is overloaded here: the ${ahead} requests ahead take about ${drainMs.toFixed(1)} ms, past this request's deadline; retry later or elsewhere`,
        { queued, retryAfterMs: Math.ceil(drainMs) },
      ),
    );
  }

  /** 504: one run alone takes `execMs`, and only `leftMs` are left. */
  static tooLate(fn: string, execMs: number, leftMs: number): Refusal {
    return new Refusal(504, (requestId) =>
      EparaError.deadline(
        `deadline cannot be met: one run takes ${execMs.toFixed(1)} ms and ${leftMs.toFixed(1)} ms are left`,
        requestId === undefined ? undefined : { requestId },
      ),
    );
  }

  /** The error to answer with (built only when asked: the simulator sheds without ever reading it). */
  toError(requestId?: string): EparaError {
    return this.build(requestId);
  }
}
