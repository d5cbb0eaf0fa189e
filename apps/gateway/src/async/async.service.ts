import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { JsMsg } from '@nats-io/jetstream';
import { headers as natsHeaders, nuid } from '@nats-io/transport-node';
import { Bucket, EparaError, Header, isJson, MediaType, Stream, subjects, token } from '@epara/contracts';
import { consumeWorkQueue, decodeJson, JsonDecodeError, NatsClient, WorkQueueConsumer } from '@epara/nats';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';
import { FunctionRegistry } from '../functions/function-registry.service';
import { InvokeRequest, InvokeService } from '../invoke/invoke.service';
import { CALLBACK_HEADER } from './callback-policy';
import { CallbackSender } from './callback-sender';
import { RequestRepository } from './request-repository';

/** Durable consumer shared by all gateways: the work queue hands each invocation to one of them. */
const CONSUMER = 'epara-gateways';
/** Tries per invocation; a retryable outcome (429, 503, 504) is retried after a delay. */
const MAX_DELIVER = 5;
const RETRY_DELAY_MS = 1_000;
/** Invocations one gateway runs at once. */
const CONCURRENCY = 16;
export { CALLBACK_HEADER };

export type AsyncStatus = 'queued' | 'running' | 'done' | 'failed';

/** KV `epara_requests` (TTL 1 h): what `GET /v1/requests/:id` answers. */
export interface AsyncRequestRecord {
  id: string;
  function: string;
  status: AsyncStatus;
  submittedAt: number;
  startedAt?: number;
  finishedAt?: number;
  attempts?: number;
  /** The reply: a JSON document, or base64 bytes with their content type. */
  result?: unknown;
  resultBase64?: string;
  contentType?: string;
  servedBy?: Record<string, string>;
  error?: { code: number; message: string };
  callbackUrl?: string;
}

/**
 * Durable invocations: `POST /v1/functions/:name/async` and producers publishing to
 * `epara.v1.async.<fn>` land in the JetStream stream `EPARA_ASYNC`; gateways pull them, invoke as for
 * HTTP, and keep status and result in KV `epara_requests` (and POST them to `X-Callback-Url`).
 */
@Injectable()
export class AsyncService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AsyncService.name);
  private requests!: RequestRepository;
  private queue?: WorkQueueConsumer;
  private readonly callbacks: CallbackSender;

  constructor(
    private readonly nats: NatsClient,
    private readonly registry: FunctionRegistry,
    private readonly invoker: InvokeService,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    this.callbacks = new CallbackSender(config.callbackAllowList);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.requests = new RequestRepository(await this.nats.kv(Bucket.Requests));
    this.queue = await consumeWorkQueue(
      this.nats,
      { stream: Stream.Async, durable: CONSUMER, ackWaitMs: 120_000, maxDeliver: MAX_DELIVER, concurrency: CONCURRENCY },
      (m) => this.process(m),
      this.logger,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue?.stop();
  }

  async submit(fn: string, req: InvokeRequest, requestedCallback?: string): Promise<AsyncRequestRecord> {
    this.registry.get(fn);
    // Refused here (400, nothing queued), not only when the result is ready and the client is gone.
    const callbackUrl = requestedCallback ? await this.callbacks.check(requestedCallback) : undefined;
    const id = req.requestId ? token('function', req.requestId.toLowerCase()) : nuid.next().toLowerCase();
    const record: AsyncRequestRecord = {
      id,
      function: fn,
      status: 'queued',
      submittedAt: Date.now(),
      ...(callbackUrl ? { callbackUrl } : {}),
    };
    await this.put(record);
    const h = natsHeaders();
    h.set(Header.ContentType, req.contentType ?? MediaType.Json);
    if (req.accept) h.set(Header.Accept, req.accept);
    h.set(Header.RequestId, id);
    if (callbackUrl) h.set(CALLBACK_HEADER, callbackUrl);
    await this.nats.js.publish(subjects.async(fn), req.body, { headers: h, msgID: id });
    return record;
  }

  async status(id: string): Promise<AsyncRequestRecord> {
    // KV unreachable reads as not found; a record that is not JSON is an internal error.
    const record = await this.requests.get(id).catch((e) => {
      if (e instanceof JsonDecodeError) throw e;
      return undefined;
    });
    if (!record) throw EparaError.notFound(`no async request "${id}" (results are kept for 1 hour)`);
    return record;
  }

  private put(r: AsyncRequestRecord): Promise<number> {
    return this.requests.save(r);
  }

  private async process(m: JsMsg): Promise<void> {
    const fn = m.subject.split('.')[3] ?? '';
    const id = m.headers?.get(Header.RequestId)?.toLowerCase() || `${fn}-${m.seq}`;
    const previous = await this.status(id).catch(() => undefined);
    const base: AsyncRequestRecord = previous ?? { id, function: fn, status: 'queued', submittedAt: m.info.timestampNanos / 1e6 };
    const running: AsyncRequestRecord = { ...base, status: 'running', startedAt: Date.now(), attempts: m.info.deliveryCount };
    await this.put(running);
    try {
      const reply = await this.invoker.invoke(
        fn,
        {
          body: m.data,
          contentType: m.headers?.get(Header.ContentType) || undefined,
          accept: m.headers?.get(Header.Accept) || undefined,
          requestId: id,
        },
        'nats',
      );
      const json = isJson(reply.contentType);
      const done: AsyncRequestRecord = {
        ...running,
        status: 'done',
        finishedAt: Date.now(),
        contentType: reply.contentType,
        servedBy: reply.headers,
        ...(json
          ? { result: decodeJson(reply.body, `the JSON reply of ${fn}`) }
          : { resultBase64: Buffer.from(reply.body).toString('base64') }),
      };
      await this.put(done).catch(async (e) => {
        await this.put({
          ...running,
          status: 'failed',
          finishedAt: Date.now(),
          error: { code: 413, message: `result could not be stored (${(e as Error).message})` },
        });
      });
      m.ack();
      this.callback(done);
    } catch (e) {
      const err = e instanceof EparaError ? e : new EparaError(500, 'internal error');
      const retryable = err.code === 429 || err.code === 503 || err.code === 504 || err.code === 500;
      if (retryable && m.info.deliveryCount < MAX_DELIVER) {
        await this.put({ ...running, status: 'queued', error: { code: err.code, message: `${err.message}; retrying` } });
        m.nak(RETRY_DELAY_MS * m.info.deliveryCount);
        return;
      }
      const failed: AsyncRequestRecord = {
        ...running,
        status: 'failed',
        finishedAt: Date.now(),
        error: { code: err.code, message: err.message },
      };
      await this.put(failed);
      m.term();
      this.callback(failed);
    }
  }

  /** Best effort: the result stays in KV whatever the callback does. The policy is checked again as it is sent. */
  private callback(r: AsyncRequestRecord): void {
    if (!r.callbackUrl) return;
    this.callbacks.post(r.callbackUrl, JSON.stringify(r)).then(
      (status) => {
        const redirect = status >= 300 && status < 400 ? ' (a redirect: not followed)' : '';
        if (status < 200 || status >= 300) this.logger.warn(`callback for ${r.id} to ${r.callbackUrl} answered ${status}${redirect}`);
      },
      (e) => this.logger.warn(`callback for ${r.id} to ${r.callbackUrl} failed: ${(e as Error).message}`),
    );
  }
}
