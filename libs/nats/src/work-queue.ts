import { Logger } from '@nestjs/common';
import { AckPolicy, ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { NatsClient } from './nats-client';

export interface WorkQueueOptions {
  stream: string;
  /** Durable consumer shared by every gateway: the work queue hands each message to one of them. */
  durable: string;
  /** A message not acked this long is delivered again (its gateway died), ms. */
  ackWaitMs: number;
  maxDeliver: number;
  /** Messages this process handles at once. */
  concurrency: number;
}

/** A running consumer; `stop` ends it and waits for the messages in hand. */
export interface WorkQueueConsumer {
  stop(): Promise<void>;
}

/**
 * Pulls a JetStream work-queue stream through a durable consumer shared by all gateways and hands
 * each message to `handle`, at most `concurrency` at once. `handle` acks, naks or terms; one that throws
 * is logged and its message redelivered after ack wait.
 */
export async function consumeWorkQueue(
  nats: NatsClient,
  o: WorkQueueOptions,
  handle: (m: JsMsg) => Promise<void>,
  logger: Logger,
): Promise<WorkQueueConsumer> {
  const jsm = await nats.jsm();
  await jsm.consumers
    .add(o.stream, { durable_name: o.durable, ack_policy: AckPolicy.Explicit, ack_wait: nanos(o.ackWaitMs), max_deliver: o.maxDeliver })
    .catch(() => undefined); // it exists: another gateway made it
  const consumer = await nats.js.consumers.get(o.stream, o.durable);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: o.concurrency });
  const inflight = new Set<Promise<void>>();
  (async () => {
    for await (const m of messages) {
      const p = handle(m).catch((e) => logger.error(`${o.stream} message ${m.seq} failed: ${(e as Error).stack}`));
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
      while (inflight.size >= o.concurrency) await Promise.race(inflight);
    }
  })().catch((e) => logger.error(`${o.stream} consumer stopped: ${(e as Error).message}`));
  return {
    stop: async () => {
      messages.stop();
      await Promise.allSettled([...inflight]);
    },
  };
}
