import type { NatsConnection } from '@nats-io/transport-node';

/** How long a flush (a PING the server must answer) may take before NATS counts as unreachable. */
export const FLUSH_TIMEOUT_MS = 1000;
/** A probe's answer is reused this long, so health polls (load balancers, compose) cost one PING a second at most. */
const PROBE_CACHE_MS = 1000;

/** What the app knows of its NATS connection. */
export interface NatsLink {
  up: boolean;
  /** Why it is down, written for an operator; absent when up. */
  reason?: string;
  /** The server the client is connected to (or last was). */
  server: string;
}

/**
 * The truth about an app's NATS connection. nats.js keeps a connection "open" while it reconnects, so
 * being open says nothing: this follows the client's disconnect/reconnect events (cheap, for the hot
 * path: {@link down}) and, for health routes, makes the server answer a flush, and JetStream a
 * request, within a second each ({@link probe}).
 */
export class ConnectionHealth {
  private disconnectedAt?: number;
  private reconnectedAt?: number;
  private lastProbe?: { at: number; link: Promise<NatsLink> };
  private readonly reconnectListeners: ((disconnectedAt: number) => void)[] = [];

  constructor(
    private readonly nc: NatsConnection,
    /** Asks JetStream something cheap (account info); the apps' KV, object store and streams need it. */
    private readonly jetstreamCheck?: () => Promise<unknown>,
    private readonly clock: () => number = Date.now,
  ) {
    (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect') this.disconnectedAt ??= this.clock();
        else if (s.type === 'reconnect') {
          const since = this.disconnectedAt ?? this.clock();
          this.disconnectedAt = undefined;
          this.reconnectedAt = this.clock();
          for (const l of this.reconnectListeners) l(since);
        }
      }
    })().catch(() => undefined); // the iterator ends when the connection closes
  }

  /** Why NATS cannot be reached now, from the client's own events; undefined while connected. No I/O. */
  down(): string | undefined {
    if (this.nc.isClosed()) return 'the NATS connection is closed';
    if (this.disconnectedAt === undefined) return undefined;
    const s = ((this.clock() - this.disconnectedAt) / 1000).toFixed(1);
    return `NATS is unreachable: disconnected from ${this.nc.getServer()} ${s} s ago, reconnecting`;
  }

  /** Told after each reconnect (the subscriptions are back by then) when the connection had dropped. */
  onReconnect(listener: (disconnectedAt: number) => void): void {
    this.reconnectListeners.push(listener);
  }

  /** Reconnected less than `ms` ago: other clients may not have resubscribed yet. */
  reconnectedWithin(ms: number): boolean {
    return this.reconnectedAt !== undefined && this.clock() - this.reconnectedAt < ms;
  }

  /** Connected, and the server answered a flush within FLUSH_TIMEOUT_MS (cached a second). */
  probe(): Promise<NatsLink> {
    const now = this.clock();
    if (this.lastProbe && now - this.lastProbe.at < PROBE_CACHE_MS) return this.lastProbe.link;
    const link = this.flushProbe();
    this.lastProbe = { at: now, link };
    return link;
  }

  private async flushProbe(): Promise<NatsLink> {
    const server = this.nc.getServer();
    const down = this.down();
    if (down) return { up: false, reason: down, server };
    const flushed = await withinTimeout(this.nc.flush());
    if (flushed !== true)
      return {
        up: false,
        reason: `NATS at ${server} ${flushed === false ? `did not answer a flush within ${FLUSH_TIMEOUT_MS} ms` : `flush failed: ${flushed}`}`,
        server,
      };
    if (this.jetstreamCheck) {
      const js = await withinTimeout(this.jetstreamCheck());
      if (js !== true)
        return {
          up: false,
          reason: `JetStream on ${server} ${js === false ? `did not answer within ${FLUSH_TIMEOUT_MS} ms` : `is not available: ${js}`}`,
          server,
        };
    }
    return { up: true, server };
  }
}

/** true when `p` settles within FLUSH_TIMEOUT_MS, false when it does not, the error's message when it fails. */
async function withinTimeout(p: Promise<unknown>): Promise<true | false | string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p.then(() => true as const),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), FLUSH_TIMEOUT_MS))),
    ]);
  } catch (e) {
    return (e as Error).message;
  } finally {
    clearTimeout(timer);
  }
}
