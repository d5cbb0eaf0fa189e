import { Logger } from '@nestjs/common';
import { CustomTransportStrategy, MessageHandler, Server } from '@nestjs/microservices';
import { Msg, Subscription } from '@nats-io/transport-node';
import { isObservable, lastValueFrom } from 'rxjs';
import { NatsClient } from './nats-client';
import { respondError } from './replies';

/** Extras of `@MessagePattern(subject, { queue })` that this transport reads. */
export interface NatsPatternExtras {
  /** Queue group: one member of the group gets each message. Omit for fan-out. */
  queue?: string;
}

/**
 * Nest transport over the raw NATS client (@nats-io/transport-node). Unlike Nest's built-in NATS
 * transport it passes plain payloads (a `nats req` from a device is understood), keeps headers, honours a
 * queue group per pattern, and lets the app add and drain subscriptions at run time.
 *
 * A handler receives the raw `Msg` as its payload and owns the reply: it answers with `msg.respond`
 * (or forwards the reply subject). If it throws, the error is answered per the NATS services convention.
 */
export class NatsTransport extends Server implements CustomTransportStrategy {
  private readonly subscriptions = new Set<Subscription>();
  protected override readonly logger = new Logger(NatsTransport.name);

  constructor(private readonly client: NatsClient) {
    super();
  }

  listen(callback: () => void): void {
    for (const [pattern, handler] of this.messageHandlers) {
      const extras = (handler.extras ?? {}) as NatsPatternExtras;
      this.subscribe(pattern, extras.queue, (msg) => this.dispatch(handler, msg));
      this.logger.log(`listening on ${pattern}${extras.queue ? ` (queue ${extras.queue})` : ''}`);
    }
    callback();
  }

  /**
   * Subscribes at run time. The callback runs inline with socket parsing: keep it short and hand
   * real work to promises. Returns the subscription; `drain()` it to stop without losing messages.
   */
  subscribe(subject: string, queue: string | undefined, onMessage: (msg: Msg) => void): Subscription {
    const sub = this.client.nc.subscribe(subject, {
      queue,
      callback: (err, msg) => {
        if (err) {
          this.logger.error(`subscription ${subject} failed: ${err.message}`);
          return;
        }
        onMessage(msg);
      },
    });
    this.subscriptions.add(sub);
    sub.closed.then(() => this.subscriptions.delete(sub)).catch(() => this.subscriptions.delete(sub));
    return sub;
  }

  private dispatch(handler: MessageHandler, msg: Msg): void {
    const run = async () => {
      const out = await handler(msg);
      if (isObservable(out)) await lastValueFrom(out, { defaultValue: undefined });
    };
    run().catch((e) => {
      const err = respondError(msg, e);
      if (err.code === 500) this.logger.error(`handler for ${msg.subject} failed: ${(e as Error)?.stack ?? String(e)}`);
    });
  }

  on(): void {
    throw new Error('NatsTransport has no events; use the NatsClient status iterator');
  }

  unwrap<T>(): T {
    return this.client.nc as T;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.subscriptions].map((s) => s.drain()));
  }
}
