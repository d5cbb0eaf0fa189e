/**
 * Time as the control loops see it. The live apps bind it to the wall clock and Node timers; the
 * simulator binds it to its virtual clock, so the same loop code runs in both.
 */
export interface Clock {
  /** Milliseconds since the epoch (live) or since the simulation began (virtual). */
  nowMs(): number;
}

/** One-shot timers, injected so a simulator can run the same loops in virtual time. */
export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const realTimers: Timers = { set: (fn, ms) => setTimeout(fn, ms), clear: (h) => clearTimeout(h as NodeJS.Timeout) };
export const realClock: Clock = { nowMs: () => performance.timeOrigin + performance.now() };
