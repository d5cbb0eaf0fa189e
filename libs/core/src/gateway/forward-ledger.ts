/**
 * Requests a gateway forwarded to a device with direct reply (the worker answers the producer itself,
 * so the gateway never learns they were served), kept until their deadline passes. When the device is
 * found gone, the ones still within their deadline can be sent again elsewhere: inference is safe to
 * run twice, and a producer that got its answer already ignores a second one. Pure: the caller
 * decides what an entry is and how to resend it.
 */
export class ForwardLedger<T> {
  private readonly byDevice = new Map<string, { deadline: number; item: T }[]>();

  /** Notes a request forwarded to `device` that is worth resending until `deadline` (epoch ms). */
  record(device: string, deadline: number, item: T, nowMs: number): void {
    let list = this.byDevice.get(device);
    if (!list) this.byDevice.set(device, (list = []));
    // Deadlines are nearly in arrival order: drop the expired ones at the front as new ones come.
    let expired = 0;
    while (expired < list.length && list[expired].deadline <= nowMs) expired++;
    if (expired) list.splice(0, expired);
    list.push({ deadline, item });
  }

  /** The requests forwarded to `device` whose deadline has not passed by `nowMs`; forgets them all. */
  takeOpen(device: string, nowMs: number): T[] {
    const list = this.byDevice.get(device) ?? [];
    this.byDevice.delete(device);
    return list.filter((e) => e.deadline > nowMs).map((e) => e.item);
  }

  /** How many are kept for `device` (expired ones included until the next record). */
  size(device: string): number {
    return this.byDevice.get(device)?.length ?? 0;
  }
}
