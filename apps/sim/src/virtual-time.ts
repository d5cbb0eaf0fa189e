import type { Clock, Timers } from '@epara/core/ports/clock';
import { EventQueue } from './event-queue';

/** The virtual clock every simulated component reads: ms since the run's start. */
export class VirtualClock implements Clock {
  now = 0;
  nowMs(): number {
    return this.now;
  }
}

/** A one-shot timer in virtual time; cleared timers stay in the queue and are skipped when they come up. */
export class VirtualTimer {
  cancelled = false;
  constructor(readonly fn: () => void) {}
}

/** Event kind the simulator gives timer events (see simulator.ts). */
export const TIMER_EVENT = 1;

/** `Timers` for the DeviceExecutor in virtual time: `set` schedules a TIMER_EVENT, `clear` cancels it. */
export class VirtualTimers implements Timers {
  constructor(
    private readonly clock: VirtualClock,
    private readonly queue: EventQueue,
  ) {}
  set(fn: () => void, ms: number): unknown {
    const t = new VirtualTimer(fn);
    this.queue.push(this.clock.now + (ms > 0 ? ms : 0), TIMER_EVENT, t);
    return t;
  }
  clear(handle: unknown): void {
    (handle as VirtualTimer).cancelled = true;
  }
}

/** One `then` / `finally` registered on a SyncCompletion (a class, not a closure: no allocation of functions per batch). */
class Reaction {
  constructor(
    readonly onFulfilled: ((v: unknown) => unknown) | null | undefined,
    readonly onFinally: (() => void) | null | undefined,
    readonly next: SyncCompletion<unknown>,
  ) {}
  fire(v: unknown): void {
    if (this.onFinally) {
      this.onFinally();
      this.next.resolve(v);
    } else {
      this.next.resolve(this.onFulfilled ? this.onFulfilled(v) : v);
    }
  }
}

/**
 * A settled-on-demand promise look-alike whose callbacks run synchronously when `resolve` is called.
 * The simulated `run` of a batch returns one, so the DeviceExecutor's `.then(done, done)`
 * bookkeeping (and its next pump) runs inside the completion event, at the completion's virtual
 * time, instead of on the microtask queue after the event loop has moved on. It never rejects, so
 * rejection handlers are never called.
 */
export class SyncCompletion<T = void> {
  private settled = false;
  private value: T | undefined;
  private first: Reaction | undefined;
  private more: Reaction[] | undefined;

  then<R1 = T, R2 = never>(onFulfilled?: ((v: T) => R1) | null, _onRejected?: ((e: unknown) => R2) | null): SyncCompletion<R1 | R2> {
    return this.react(new Reaction(onFulfilled as (v: unknown) => unknown, undefined, new SyncCompletion<unknown>())) as SyncCompletion<
      R1 | R2
    >;
  }

  catch<R = never>(_onRejected?: ((e: unknown) => R) | null): SyncCompletion<T | R> {
    return this.react(new Reaction(undefined, undefined, new SyncCompletion<unknown>())) as SyncCompletion<T | R>;
  }

  finally(onFinally?: (() => void) | null): SyncCompletion<T> {
    return this.react(new Reaction(undefined, onFinally, new SyncCompletion<unknown>())) as SyncCompletion<T>;
  }

  private react(r: Reaction): SyncCompletion<unknown> {
    if (this.settled) r.fire(this.value);
    else if (!this.first) this.first = r;
    else (this.more ??= []).push(r);
    return r.next;
  }

  resolve(v: T): void {
    if (this.settled) return;
    this.settled = true;
    this.value = v;
    const first = this.first;
    const more = this.more;
    this.first = undefined;
    this.more = undefined;
    if (first) first.fire(v);
    if (more) for (const r of more) r.fire(v);
  }
}
