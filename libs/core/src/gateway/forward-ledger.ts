/**
 * How long past its deadline a request forwarded to a device that is then found gone is still owed an
 * answer, ms. Noticing a gone device takes up to about a second (three missed liveness probes); a
 * request sent there just before it went silent has by then often passed its deadline, and without a
 * word from the gateway its producer would only ever see its own timeout: a silent loss.
 */
export const LATE_NOTICE_MS = 2000;

/** What to do with the forwards of a device found gone. */
export interface GoneForwards<T> {
  /** Still within their deadline: send again elsewhere. */
  resend: T[];
  /** Past their deadline (by less than the notice period): tell the producer they were lost. */
  late: T[];
}

/**
 * Requests a gateway forwarded to a device with direct reply (the worker answers the producer itself,
 * so the gateway never learns they were served), kept until LATE_NOTICE_MS after their deadline. When
 * the device is found gone, the ones still within their deadline can be sent again elsewhere
 * (inference is safe to run twice, and a producer that got its answer already ignores a second one), and
 * the ones past it can be answered with an error instead of silence; when its worker only reconnected,
 * the ones sent since its connection dropped can be sent again. Pure: the caller decides what an
 * entry is and how to resend or answer it.
 */
export class ForwardLedger<T> {
  private readonly byDevice = new Map<string, { deadline: number; sentAt: number; item: T }[]>();

  constructor(private readonly lateNoticeMs = LATE_NOTICE_MS) {}

  /** Notes a request forwarded to `device` that is worth resending until `deadline` (epoch ms). */
  record(device: string, deadline: number, item: T, nowMs: number): void {
    let list = this.byDevice.get(device);
    if (!list) this.byDevice.set(device, (list = []));
    // Deadlines are nearly in arrival order: drop the ones past notice at the front as new ones come.
    let expired = 0;
    while (expired < list.length && list[expired].deadline + this.lateNoticeMs <= nowMs) expired++;
    if (expired) list.splice(0, expired);
    list.push({ deadline, sentAt: nowMs, item });
  }

  /** The requests forwarded to `device`, split by whether their deadline has passed by `nowMs`; forgets them all. */
  takeGone(device: string, nowMs: number): GoneForwards<T> {
    const list = this.byDevice.get(device) ?? [];
    this.byDevice.delete(device);
    const out: GoneForwards<T> = { resend: [], late: [] };
    for (const e of list) {
      if (e.deadline > nowMs) out.resend.push(e.item);
      else if (e.deadline + this.lateNoticeMs > nowMs) out.late.push(e.item);
    }
    return out;
  }

  /**
   * The requests forwarded to `device` from `sinceMs` on whose deadline has not passed by `nowMs`, taken
   * out of the ledger: a worker whose NATS connection dropped at `sinceMs` and came back may never have
   * received them (they were inside a server that died, or published while it had no subscription).
   */
  takeSentSince(device: string, sinceMs: number, nowMs: number): T[] {
    const list = this.byDevice.get(device);
    if (!list) return [];
    const out: T[] = [];
    const kept: typeof list = [];
    for (const e of list) {
      if (e.sentAt >= sinceMs && e.deadline > nowMs) out.push(e.item);
      else kept.push(e);
    }
    this.byDevice.set(device, kept);
    return out;
  }

  /** How many are kept for `device` (expired ones included until the next record). */
  size(device: string): number {
    return this.byDevice.get(device)?.length ?? 0;
  }
}
