import { EparaError } from '@epara/contracts';
import { AdaptiveExecEstimator, BatchParams, canStillMeet, pickNextQueue, QueueCandidate, toQueueCandidate } from '@epara/policy';
import { FunctionQueue } from './function-queue';
import { PendingRequest } from './pending-request';

/** Batching limits of one function on this device (from its assignment, adapted by measurements). */
export interface FunctionBatching {
  maxBatchSize: number;
  preferredBatchSize: number;
  maxQueueDelayMs: number;
}

/** What the executor needs to run a function; the worker service owns the model behind `run`. */
export interface FunctionSlot {
  batching: FunctionBatching;
  readonly estimator: AdaptiveExecEstimator;
  /** Runs one batch (all one shape group) and settles every request in it. Must not throw. */
  run: (batch: PendingRequest[]) => Promise<void>;
}

interface SlotState {
  slot: FunctionSlot;
  queue: FunctionQueue;
  params: BatchParams;
  running: number;
  completed: number;
}

export interface Clock {
  nowMs(): number;
}

/** One-shot timers, injected so a simulator can run the executor in virtual time. */
export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const realTimers: Timers = { set: (fn, ms) => setTimeout(fn, ms), clear: (h) => clearTimeout(h as NodeJS.Timeout) };
export const realClock: Clock = { nowMs: () => performance.timeOrigin + performance.now() };

const KEY_SEPARATOR = '\u0000';

/**
 * One device's dynamic batcher (DESIGN.md §4, Triton's dynamic batcher with deadlines): every function
 * has an earliest-deadline-first queue per shape group; the device runs `concurrency` batches at a time
 * and picks the next one across all its functions by deadline urgency, so a frequency-heavy function
 * cannot starve a latency-sensitive one. Decisions come from `libs/policy`; this class only waits,
 * takes and dispatches.
 */
export class DeviceExecutor {
  private readonly slots = new Map<string, SlotState>();
  /**
   * Functions with something queued: what `pump` scans. A device may hold hundreds of functions while
   * only a few have work at any moment (the simulator's 100-device runs spent most of their time here).
   */
  private readonly queuedFns = new Set<string>();
  private runningBatches = 0;
  private timer?: unknown;
  private timerAt = Infinity;
  private busySinceMs?: number;
  private busyMsAcc = 0;

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
    this.slots.set(fn, { slot, queue: existing?.queue ?? new FunctionQueue(), params, running: existing?.running ?? 0, completed: existing?.completed ?? 0 });
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
    this.queuedFns.delete(fn);
    for (const r of s.queue.drainAll()) r.settle({ error: reason });
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
    const s = this.slots.get(r.fn);
    if (!s) throw EparaError.notFound(`function "${r.fn}" is not loaded on this device`);
    if (s.queue.size >= this.maxQueue) {
      throw EparaError.shed(`queue of "${r.fn}" is full (${this.maxQueue} requests waiting); retry later`, { queued: s.queue.size });
    }
    const now = this.clock.nowMs();
    const exec1 = s.params.execMs(1);
    if (!canStillMeet(r.deadlineMs, now, exec1)) {
      r.settle({ error: EparaError.deadline(`deadline cannot be met: one run takes ${exec1.toFixed(1)} ms and ${Math.max(0, r.deadlineMs - now).toFixed(1)} ms are left`, { requestId: r.requestId }) });
      return;
    }
    // Only requests with earlier deadlines run first (EDF): a more urgent arrival goes ahead of the rest.
    const ahead = s.queue.countAhead(r.deadlineMs);
    const drainMs = this.drainMs(s, ahead);
    if (ahead > 0 && !canStillMeet(r.deadlineMs, now + drainMs, exec1)) {
      throw EparaError.shed(`"${r.fn}" is overloaded here: the ${ahead} requests ahead take about ${drainMs.toFixed(1)} ms, past this request's deadline; retry later or elsewhere`, { queued: s.queue.size });
    }
    s.queue.add(r);
    this.queuedFns.add(r.fn);
    this.pump();
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

  get queued(): number {
    let n = 0;
    for (const s of this.slots.values()) n += s.queue.size;
    return n;
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
    const exec1 = s.params.execMs(1);
    const dropped = s.queue.dropHopeless((r) => !canStillMeet(r.deadlineMs, now, exec1));
    for (const r of dropped) {
      const waited = now - r.arrivalMs;
      r.settle({
        error: EparaError.deadline(`deadline passed before the request could run (waited ${waited.toFixed(1)} ms; one run takes ${exec1.toFixed(1)} ms)`, { requestId: r.requestId }),
      });
    }
  }

  /** Decides and dispatches until the device is full or nothing may run yet; then arms one timer. */
  pump(): void {
    while (this.runningBatches < this.concurrency) {
      const now = this.clock.nowMs();
      const candidates: QueueCandidate[] = [];
      for (const fn of this.queuedFns) {
        const s = this.slots.get(fn)!;
        this.dropHopeless(s, now);
        if (s.queue.size === 0) {
          this.queuedFns.delete(fn);
          continue;
        }
        for (const [group, view] of s.queue.views()) {
          candidates.push(toQueueCandidate(fn + KEY_SEPARATOR + group, view, s.params, now));
        }
      }
      // With one batch at a time, pass the clock: a waiting queue that cannot wait behind the chosen
      // batch runs first (policy's latest-start rule). With several at once that rule does not hold.
      const next = pickNextQueue(candidates, this.concurrency === 1 ? now : undefined);
      if (next.kind === 'idle') return;
      if (next.kind === 'wait') {
        this.arm(next.forMs);
        return;
      }
      const sep = next.key.indexOf(KEY_SEPARATOR);
      const s = this.slots.get(next.key.slice(0, sep))!;
      const group = next.key.slice(sep + 1);
      this.dispatch(s, s.queue.take(group, this.sizeForHead(s, group, next.size, now)));
      if (s.queue.size === 0) this.queuedFns.delete(next.key.slice(0, sep));
    }
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
    this.timer = this.timers.set(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.pump();
    }, Math.max(0, forMs));
  }

  private dispatch(s: SlotState, batch: PendingRequest[]): void {
    if (batch.length === 0) return;
    if (this.runningBatches++ === 0) this.busySinceMs = this.clock.nowMs();
    s.running += batch.length;
    s.slot
      .run(batch)
      .catch(() => undefined) // run settles every request itself; this only guards the loop
      .finally(() => {
        s.running -= batch.length;
        s.completed += batch.length;
        if (--this.runningBatches === 0 && this.busySinceMs !== undefined) {
          this.busyMsAcc += this.clock.nowMs() - this.busySinceMs;
          this.busySinceMs = undefined;
        }
        this.pump();
      });
  }

  /** Answers everything queued (shutdown). */
  stop(reason: EparaError): void {
    if (this.timer) this.timers.clear(this.timer);
    for (const fn of [...this.slots.keys()]) this.unregister(fn, reason);
  }
}
