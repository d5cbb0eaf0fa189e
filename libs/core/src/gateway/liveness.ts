/** How often each device's liveness subject is asked, ms. */
export const LIVENESS_PROBE_MS = 250;
/** A probe unanswered this long counts as missed, ms (a busy worker's event loop still answers well within it). */
export const LIVENESS_TIMEOUT_MS = 500;
/** Missed probes in a row that make a device gone (a host cut off: its server still holds the subscription). */
export const LIVENESS_MISSES = 3;

/** What one liveness probe of a device found. */
export const ProbeOutcome = {
  Answered: 'answered',
  /** The server says nobody subscribes to the device's liveness subject: the worker's connection is gone. */
  NoResponders: 'no-responders',
  Missed: 'missed',
} as const;
export type ProbeOutcome = (typeof ProbeOutcome)[keyof typeof ProbeOutcome];

/**
 * Decides from liveness probes when a device is gone, well before its heartbeats age out (3.5 s): the
 * NATS server drops a dead worker's subscriptions the moment its connection closes, so probes of a
 * SIGKILLed worker answer "no responders" — twice in a row within two probe periods; a worker whose host is cut off
 * leaves its subscriptions behind until the server's own ping timeout, so LIVENESS_MISSES missed probes
 * in a row count as gone too. Pure: the caller sends the probes and acts on the verdict.
 */
export class LivenessVerdicts {
  private readonly misses = new Map<string, number>();
  /** Devices whose last probe found no responders: a second one in a row makes them gone. */
  private readonly unanswered = new Set<string>();

  constructor(private readonly maxMisses = LIVENESS_MISSES) {}

  /** Records a probe's outcome; returns why the device is gone, or undefined while it is not. */
  observe(device: string, outcome: ProbeOutcome): string | undefined {
    if (outcome === ProbeOutcome.Answered) {
      this.misses.delete(device);
      this.unanswered.delete(device);
      return undefined;
    }
    if (outcome === ProbeOutcome.NoResponders) {
      this.misses.delete(device);
      // Twice in a row: a worker that is (re)subscribing — at its start, after a server restart — is
      // briefly without its subscription; a dead one stays so.
      if (!this.unanswered.has(device)) {
        this.unanswered.add(device);
        return undefined;
      }
      this.unanswered.delete(device);
      return 'nobody answers its liveness subject: its NATS connection closed (the worker stopped or crashed)';
    }
    this.unanswered.delete(device);
    const n = (this.misses.get(device) ?? 0) + 1;
    if (n < this.maxMisses) {
      this.misses.set(device, n);
      return undefined;
    }
    this.misses.delete(device);
    return `it missed ${n} liveness probes in a row (its host or link is down, or it is frozen)`;
  }

  forget(device: string): void {
    this.misses.delete(device);
    this.unanswered.delete(device);
  }
}
