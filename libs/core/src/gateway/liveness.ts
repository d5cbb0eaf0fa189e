/** How often each device's liveness subject is asked, ms. Probes overlap: one goes out every period. */
export const LIVENESS_PROBE_MS = 100;
/**
 * How long a device may leave every probe unanswered before it counts as gone, ms. A worker answers on
 * its event loop, which a run never holds (models whose runs take ≥ 2 ms run on threads of their own,
 * large models load on one); what is left — decoding a request, forming a batch — takes milliseconds.
 * Short enough that requests sent to a host just cut off can still be sent elsewhere within a 500 ms
 * deadline plus a little (the fault suite's host cut), long enough for a garbage-collection pause.
 */
export const LIVENESS_SILENCE_MS = 600;

/** What one liveness probe of a device found. */
export const ProbeOutcome = {
  Answered: 'answered',
  /** The server says nobody subscribes to the device's liveness subject: the worker's connection is gone. */
  NoResponders: 'no-responders',
  /** No answer within its timeout: says nothing more than the silence the verdicts already measure. */
  Missed: 'missed',
} as const;
export type ProbeOutcome = (typeof ProbeOutcome)[keyof typeof ProbeOutcome];

/**
 * Decides from liveness probes when a device is gone, well before its heartbeats age out (3.5 s): the
 * NATS server drops a dead worker's subscriptions the moment its connection closes, so probes of a
 * SIGKILLed worker answer "no responders" — twice in a row within two probe periods; a worker whose host
 * is cut off leaves its subscriptions behind until its server notices, so a device that has answered
 * no probe for `silenceMs` since the first unanswered one was sent counts as gone too. Time, not a count
 * of timeouts: probes go out every period whether the last one came back or not, so the verdict comes
 * `silenceMs` after the device fell silent, whatever the probe timeout. Pure: the caller sends the
 * probes, tells what came back and acts on the verdict.
 */
export class LivenessVerdicts {
  /** Per device, when the first probe still unanswered since its last answer was sent, epoch ms. */
  private readonly silentSince = new Map<string, number>();
  /** Devices whose last probe found no responders: a second one in a row makes them gone. */
  private readonly unanswered = new Set<string>();

  constructor(private readonly silenceMs = LIVENESS_SILENCE_MS) {}

  /** A probe of `device` went out at `nowMs`. */
  sent(device: string, nowMs: number): void {
    if (!this.silentSince.has(device)) this.silentSince.set(device, nowMs);
  }

  /** Records what a probe found; returns why the device is gone, or undefined while it is not. */
  observe(device: string, outcome: ProbeOutcome): string | undefined {
    if (outcome === ProbeOutcome.Answered) {
      this.forget(device);
      return undefined;
    }
    if (outcome === ProbeOutcome.Missed) return undefined;
    // Twice in a row: a worker that is (re)subscribing — at its start, after a server restart — is
    // briefly without its subscription; a dead one stays so.
    if (!this.unanswered.has(device)) {
      this.unanswered.add(device);
      return undefined;
    }
    this.forget(device);
    return 'nobody answers its liveness subject: its NATS connection closed (the worker stopped or crashed)';
  }

  /** Why `device` is gone by `nowMs` because it has been silent too long, or undefined. */
  check(device: string, nowMs: number): string | undefined {
    const since = this.silentSince.get(device);
    if (since === undefined || nowMs - since < this.silenceMs) return undefined;
    this.forget(device);
    return `it answered no liveness probe for ${Math.round(nowMs - since)} ms (its host or link is down, or it is frozen)`;
  }

  forget(device: string): void {
    this.silentSince.delete(device);
    this.unanswered.delete(device);
  }

  /** Starts every device's count again: after the prober's own outage or stall, silence says nothing of them. */
  forgetAll(): void {
    this.silentSince.clear();
    this.unanswered.clear();
  }
}
