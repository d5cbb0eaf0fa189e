import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { JsMsg } from '@nats-io/jetstream';
import { EparaError, kindCapabilities, mqttAudioTypes, mqttRequestTypes, Stream, subjects } from '@epara/contracts';
import { consumeWorkQueue, NatsClient, WorkQueueConsumer } from '@epara/nats';
import { FunctionRegistry } from '../functions/function-registry.service';
import { InvokeService } from '../invoke/invoke.service';

/** Durable consumer of EPARA_MQTT shared by every gateway. */
const CONSUMER = 'epara-gateways-mqtt';
/** Tries of one request: a 429/503/504 (a worker died, the function is reloading) is tried again. */
const MAX_DELIVER = 4;
const RETRY_DELAY_MS = 500;
const CONCURRENCY = 64;
/** A request a gateway took but did not answer in this long (it died) goes to another gateway. */
const ACK_WAIT_MS = 30_000;

/**
 * MQTT ingress. The NATS server's MQTT listener turns a device's publish on `epara/v1/mqtt/<fn>/<client>`
 * into a message on `epara.v1.mqtt.<fn>.<client>`, which the stream EPARA_MQTT keeps until a gateway has
 * answered it — so a QoS 1 request survives a worker or gateway dying. A gateway invokes the function
 * as for HTTP and publishes the answer (or the error, in Epara's JSON error shape) on
 * `epara.v1.reply.<client>.<fn>`, which the device reads as `epara/v1/reply/<client>/<fn>`.
 *
 * MQTT has no headers: for a kind that keeps stream state (`audio-vad`) the stream id is the client id
 * of the topic, so one device is one stream, and its frames are audio (`mqttAudioTypes`).
 */
@Injectable()
export class MqttService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MqttService.name);
  private queue?: WorkQueueConsumer;

  constructor(
    private readonly nats: NatsClient,
    private readonly invoker: InvokeService,
    private readonly registry: FunctionRegistry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.queue = await consumeWorkQueue(
      this.nats,
      { stream: Stream.Mqtt, durable: CONSUMER, ackWaitMs: ACK_WAIT_MS, maxDeliver: MAX_DELIVER, concurrency: CONCURRENCY },
      (m) => this.answer(m),
      this.logger,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue?.stop();
  }

  private async answer(m: JsMsg): Promise<void> {
    const [, , , fn = '', client = ''] = m.subject.split('.');
    let replyTo: string;
    try {
      replyTo = subjects.mqttReply(client, fn);
    } catch {
      this.logger.warn(`MQTT request on ${m.subject}: the client id must be a name (a-z, 0-9, '-', '_'); dropped`);
      return m.term();
    }
    const kind = this.registry.find(fn)?.kind;
    const stream = kind !== undefined && kindCapabilities(kind).streamState;
    const types = stream ? mqttAudioTypes(m.data) : mqttRequestTypes(m.data);
    try {
      const reply = await this.invoker.invoke(
        fn,
        { body: m.data, ...types, requestId: `mqtt-${client}-${m.seq}`, ...(stream ? { streamId: client } : {}) },
        'mqtt',
      );
      this.nats.nc.publish(replyTo, reply.body);
      m.ack();
    } catch (e) {
      const err = e instanceof EparaError ? e : new EparaError(500, 'internal error');
      if ((err.code === 429 || err.code === 503 || err.code === 504) && m.info.deliveryCount < MAX_DELIVER) {
        m.nak(RETRY_DELAY_MS * m.info.deliveryCount);
        return;
      }
      this.nats.nc.publish(replyTo, JSON.stringify(err.toBody()));
      m.term();
    }
  }
}
