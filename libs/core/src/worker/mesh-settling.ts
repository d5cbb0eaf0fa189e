/**
 * Longest a worker keeps saying it is rejoining after its NATS server found its first route back, ms.
 * Each server retries its routes every one to two seconds, so the rest come back within that; a server
 * that stays short of a route for longer has lost it for good, and the worker serves with what is left.
 */
export const MESH_SETTLE_CAP_MS = 3000;

/**
 * Whether a worker's NATS server is rejoining its cluster after it was cut off, from the number of
 * servers its INFO lists (`connect_urls`, the server itself included; nats-server updates it as routes
 * come and go). Routes come back one by one after a cut: a request can reach the worker over one while
 * its reply to the producer's server, over another, is dropped — measured on the netns bed, 37 requests
 * lost in silence in the second after a link came back. While its server is isolated (only itself,
 * having seen more) and until it lists as many servers as before, or MESH_SETTLE_CAP_MS after the
 * first came back, the worker says so in its heartbeat and gateways send it nothing. A server that
 * merely loses one peer (a NATS node down for good) is not isolated: nothing is held back. Pure.
 */
export class MeshSettling {
  /** The most servers listed while not isolated. */
  private seen = 0;
  private isolated = false;
  private rejoinedAt?: number;

  constructor(private readonly capMs = MESH_SETTLE_CAP_MS) {}

  /** `servers`: how many the INFO lists now (undefined or 0: not a cluster). Returns why to wait, or undefined. */
  observe(servers: number | undefined, nowMs: number): string | undefined {
    if (!servers) return undefined;
    if (servers === 1 && this.seen > 1) {
      this.isolated = true;
      this.rejoinedAt = undefined;
      return `its NATS server is cut off from the other ${this.seen - 1} of its cluster`;
    }
    if (this.isolated) {
      this.isolated = false;
      this.rejoinedAt = nowMs;
    }
    if (this.rejoinedAt !== undefined) {
      if (servers < this.seen && nowMs - this.rejoinedAt < this.capMs)
        return `its NATS server is rejoining its cluster (routes to ${servers - 1} of ${this.seen - 1} servers back)`;
      this.rejoinedAt = undefined;
    }
    this.seen = Math.max(this.seen, servers);
    return undefined;
  }
}
