import type { DeviceState } from '@epara/contracts/records';

/** How the gateway's admission throttle reacts. */
export interface AdmissionThrottleConfig {
  /**
   * Under overload the gateway forwards up to this multiple of what the workers accepted in the last
   * period and refuses the rest itself. Above 1, so the workers stay saturated and refuse the small
   * excess themselves (which keeps the overload visible); below 2, so little refused work travels.
   * Default 1.1.
   */
  acceptsMultiplier?: number;
  /** How often the limit is recomputed, ms (a heartbeat arrives about once a second). Default 1000. */
  periodMs?: number;
  /** The workers refusing more than this share of what reaches them is overload. Default 0.04. */
  overloadedShare?: number;
  /** Under this share the limit is raised (by `raiseFactor` each period) until it is lifted. Default 0.01. */
  relievedShare?: number;
  /** Default 1.25. */
  raiseFactor?: number;
  /** Fewer requests than this reaching the workers in a period: too few to judge, the limit is raised. Default 20. */
  minReceived?: number;
  /** Told each time a function's limit changes (Infinity: lifted), with the share the workers refused in the period. */
  onLimit?: (fn: string, limitPerSec: number, refusedShare: number) => void;
}

interface FunctionThrottle {
  fn: string;
  /** Requests per second the gateway forwards now; Infinity: no limit. */
  limitPerSec: number;
  /** Token bucket under the limit: requests that may go now. */
  tokens: number;
  tokensAt: number;
  /** This period: requests asked of this gateway, and those it forwarded. */
  attempts: number;
  forwarded: number;
  /** This period, from heartbeats: requests that reached the function's workers (all senders), and those they refused 429. */
  received: number;
  shed: number;
  periodStart: number;
  /**
   * When the limit last changed. Heartbeat counts that span that moment describe traffic sent under
   * the old limit; judged against the new limit's forwards, they would cut it again and again (a
   * worker reports its refusals up to a heartbeat late), so they are left out.
   */
  changedAt: number;
}

/**
 * The gateway's admission control under overload, free of I/O. With direct reply the gateway never
 * sees a worker's answer, so it cannot count its requests in flight; what it sees is each worker's
 * heartbeat, which counts per function the requests that reached it and those it refused for load.
 * Once a period:
 *
 * - the workers refused more than `overloadedShare`: the function is overloaded, and the gateway's
 *   limit becomes `acceptsMultiplier` × what of its own forwards the workers accepted in the period
 *   (its forwards × the share not refused, so several gateways each take their share);
 * - they refused less than `relievedShare` (or too few requests were asked to judge): the limit rises
 *   by `raiseFactor`, and is lifted once it is well above what is asked;
 * - in between it holds, and it holds until a heartbeat counted under the current limit came in.
 *
 * Requests over the limit (a token bucket, a tenth of a second of burst) are refused at the first
 * hop — a header read and a short 429 — instead of crossing to a worker that would refuse them too,
 * or waiting in buffers until their deadline passes. Only refusals that less traffic would avoid
 * count (the worker decides which): 429s, and 504s of requests that waited too long; not the 504s of
 * a function whose SLO is shorter than one run, which no throttling would cure.
 */
export class AdmissionThrottle {
  private readonly k: number;
  private readonly periodMs: number;
  private readonly overloadedShare: number;
  private readonly relievedShare: number;
  private readonly raiseFactor: number;
  private readonly minReceived: number;
  private readonly onLimit?: AdmissionThrottleConfig['onLimit'];
  private readonly fns = new Map<string, FunctionThrottle>();
  /** Last counters seen per (device, unit), to turn the workers' monotonic counters into deltas. */
  private readonly last = new Map<string, { startedAt: number; received: number; shed: number; seenAt: number }>();

  constructor(config: AdmissionThrottleConfig = {}) {
    this.k = config.acceptsMultiplier ?? 1.1;
    this.periodMs = config.periodMs ?? 1000;
    this.overloadedShare = config.overloadedShare ?? 0.04;
    this.relievedShare = config.relievedShare ?? 0.01;
    this.raiseFactor = config.raiseFactor ?? 1.25;
    this.minReceived = config.minReceived ?? 20;
    this.onLimit = config.onLimit;
  }

  /** One request for `fn` at `nowMs`: true to forward it, false to refuse it here (429). Counts it either way. */
  admit(fn: string, nowMs: number): boolean {
    const t = this.of(fn, nowMs);
    this.roll(t, nowMs);
    t.attempts++;
    if (t.limitPerSec !== Infinity) {
      t.tokens = Math.min(Math.max(1, t.limitPerSec / 10), t.tokens + ((nowMs - t.tokensAt) * t.limitPerSec) / 1000);
      t.tokensAt = nowMs;
      if (t.tokens < 1) return false;
      t.tokens--;
    }
    t.forwarded++;
    return true;
  }

  /** Requests per second this gateway forwards for `fn` now; Infinity when it is not throttled. */
  limit(fn: string): number {
    return this.fns.get(fn)?.limitPerSec ?? Infinity;
  }

  /** Reads a worker's heartbeat: per function, the requests that reached it and those it refused since the last one. */
  observeHeartbeat(state: DeviceState, nowMs: number): void {
    for (const f of state.functions) {
      if (f.shed === undefined) continue; // a worker that predates the counter: nothing to learn
      const key = `${state.device}\u0000${f.fn}`;
      const prev = this.last.get(key);
      this.last.set(key, { startedAt: state.startedAt, received: f.received, shed: f.shed, seenAt: nowMs });
      // The first sight of a unit, a restarted worker or a reset counter: no delta to take.
      if (!prev || prev.startedAt !== state.startedAt || f.received < prev.received || f.shed < prev.shed) continue;
      const t = this.of(f.fn, nowMs);
      this.roll(t, nowMs);
      if (prev.seenAt < t.changedAt) continue; // counts from before the limit changed
      t.received += f.received - prev.received;
      t.shed += f.shed - prev.shed;
    }
  }

  /** At the end of a period: the new limit from what the workers refused in it. */
  private roll(t: FunctionThrottle, nowMs: number): void {
    const elapsed = nowMs - t.periodStart;
    if (elapsed < this.periodMs) return;
    const measured = t.received >= this.minReceived;
    const refusedShare = measured ? Math.min(1, t.shed / t.received) : 0;
    // Traffic too light to judge: the limit rises. Enough traffic but no counts under the current limit yet: it holds.
    const tooLight = !measured && t.attempts < this.minReceived;
    const before = t.limitPerSec;
    if (!measured && !tooLight) {
      // hold
    } else if (refusedShare > this.overloadedShare) {
      const acceptedPerSec = (t.forwarded * (1 - refusedShare) * 1000) / elapsed;
      // Never to nothing: a trickle keeps measuring, and the raise starts from it when the overload ends.
      t.limitPerSec = Math.max(1, this.k * acceptedPerSec);
    } else if (refusedShare < this.relievedShare && t.limitPerSec !== Infinity) {
      t.limitPerSec *= this.raiseFactor;
      const askedPerSec = (t.attempts * 1000) / elapsed;
      if (t.limitPerSec > 2 * askedPerSec) t.limitPerSec = Infinity;
    }
    if (t.limitPerSec !== before) {
      t.changedAt = nowMs;
      this.onLimit?.(t.fn, t.limitPerSec, refusedShare);
    }
    t.attempts = 0;
    t.forwarded = 0;
    t.received = 0;
    t.shed = 0;
    t.periodStart = nowMs;
  }

  private of(fn: string, nowMs: number): FunctionThrottle {
    let t = this.fns.get(fn);
    if (!t) {
      t = {
        fn,
        limitPerSec: Infinity,
        tokens: 0,
        tokensAt: nowMs,
        attempts: 0,
        forwarded: 0,
        received: 0,
        shed: 0,
        periodStart: nowMs,
        changedAt: -Infinity,
      };
      this.fns.set(fn, t);
    }
    return t;
  }
}
