import { Inject, Injectable, Logger } from '@nestjs/common';
import { headers as natsHeaders, Msg, nuid } from '@nats-io/transport-node';
import {
  clientRequestHeaders,
  EparaError,
  FunctionKind,
  FunctionRecord,
  Header,
  kindCapabilities,
  MediaType,
  Mode,
  requireStreamId,
  SERVING_HEADERS,
} from '@epara/contracts';
import { routeSubject } from '@epara/core';
import { NatsClient, natsFailure, replyError, respondError } from '@epara/nats';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';
import { FunctionRegistry } from '../functions/function-registry.service';
import { functionLabel, GatewayMetrics } from '../common/gateway-metrics';
import { PipelineInvoker } from './pipeline-invoker';
import { SplitInvoker } from './split-invoker';
import { DeviceGoneError, WorkerCaller } from './worker-caller';
import { AdmissionService } from './admission.service';

/** What a caller sent, transport-neutral. */
export interface InvokeRequest {
  body: Uint8Array;
  contentType?: string;
  accept?: string;
  /** Client's own deadline, epoch ms; the earlier of it and arrival + SLO wins. */
  deadlineEpochMs?: number;
  requestId?: string;
  /** `Epara-Priority`, passed on to the worker. */
  priority?: number;
  /** `Epara-Stream-Id` (MQTT: the client id of the topic): required by kinds that keep stream state. */
  streamId?: string;
}

export interface InvokeReply {
  body: Uint8Array;
  contentType: string;
  /** Serving headers from the worker (`Epara-Device`, `Epara-Batch-Size`, ...). */
  headers: Record<string, string>;
}

/**
 * The gateway's request handling for `dp` and `batch` functions, and the door to the other modes: it
 * checks the function can be served, sends through the WorkerCaller (route, headers, deadline), retries
 * once elsewhere when nobody answered the subject, maps failures to errors and counts metrics. `sp`
 * requests go to the SplitInvoker, `pp` ones to the PipelineInvoker; with direct reply a NATS request
 * is forwarded to the worker, which answers the producer itself.
 */
@Injectable()
export class InvokeService {
  private readonly logger = new Logger(InvokeService.name);

  constructor(
    private readonly nats: NatsClient,
    private readonly registry: FunctionRegistry,
    private readonly caller: WorkerCaller,
    private readonly metrics: GatewayMetrics,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly split: SplitInvoker,
    private readonly pipeline: PipelineInvoker,
    private readonly admission: AdmissionService,
  ) {}

  private checkServable(record: FunctionRecord): void {
    if (record.category.mode === Mode.Pp && !record.model.stages?.length) {
      throw new EparaError(
        501,
        `function "${record.name}" is categorized ${record.category.sensitivity} × ${record.category.footprint} → pp, but its model has no pipeline stages (redeploy it to partition the model)`,
        {
          category: record.category,
        },
      );
    }
  }

  /** The stream a request of a stateful kind is pinned by (400 when it names none); undefined for other kinds. */
  private streamOf(record: FunctionRecord, req: InvokeRequest): string | undefined {
    return kindCapabilities(record.kind).streamState ? requireStreamId(req.streamId, record.name) : undefined;
  }

  /** HTTP and relayed NATS invocations: the gateway waits for the worker's reply. */
  async invoke(fn: string, req: InvokeRequest, transport: 'http' | 'nats' | 'mqtt'): Promise<InvokeReply> {
    const arrival = Date.now();
    let outcome = 'ok';
    try {
      const record = this.registry.get(fn);
      this.checkServable(record);
      const deadline = this.caller.deadlineOf(record, arrival, req.deadlineEpochMs);
      if (deadline <= arrival) throw EparaError.deadline('deadline passed before the request reached the gateway');
      const requestId = req.requestId || nuid.next();
      if (record.category.mode === Mode.Sp || record.category.mode === Mode.Pp) {
        const reply =
          record.category.mode === Mode.Sp
            ? await this.split.invoke(record, req, deadline, requestId)
            : await this.pipeline.invoke(record, req, deadline, requestId);
        if (Date.now() - arrival > record.slo.latencyMs) outcome = 'slo_missed';
        else this.metrics.goodRequests.inc({ function: fn });
        return reply;
      }
      const streamId = this.streamOf(record, req);
      this.admission.check(record, arrival);
      const h = this.caller.headers(req, deadline, requestId);
      let route = this.caller.route(record, undefined, streamId);
      let reply: { msg: Msg; body: Uint8Array };
      try {
        reply = await this.caller.send(route, req.body, h, deadline, record.kind === FunctionKind.TextGeneration);
      } catch (e) {
        const gone = e instanceof DeviceGoneError;
        if (!natsFailure.isNoResponders(e) && !gone) throw e;
        // Nothing ran (no subscriber), or the worker it waited on is gone: inference is safe to retry
        // once, on another replica or the whole queue group, within the same deadline.
        this.logger.warn(
          `${gone ? (e as Error).message : `no responders on ${routeSubject(route)}`} for ${fn} (request ${requestId}); retrying once`,
        );
        route = this.caller.retryRoute(record, route);
        reply = await this.caller.send(route, req.body, h, deadline).catch((e2) => {
          if (natsFailure.isNoResponders(e2))
            throw EparaError.noCapacity(`no worker answered for function "${fn}"; it may be reloading`, { function: fn });
          throw e2;
        });
      }
      const err = replyError(reply.msg);
      if (err) throw err;
      const headers: Record<string, string> = {};
      for (const name of SERVING_HEADERS) {
        const v = reply.msg.headers?.get(name);
        if (v) headers[name] = v;
      }
      headers[Header.RequestId] = requestId;
      const latencyMs = Date.now() - arrival;
      if (latencyMs > record.slo.latencyMs) outcome = 'slo_missed';
      else this.metrics.goodRequests.inc({ function: fn });
      return { body: reply.body, contentType: reply.msg.headers?.get(Header.ContentType) || MediaType.Json, headers };
    } catch (e) {
      outcome = e instanceof EparaError ? String(e.code) : '500';
      throw e;
    } finally {
      // Looked up now: a function deleted meanwhile must not bring its series back.
      const label = functionLabel(this.registry, fn);
      this.metrics.requests.inc({ function: label, transport, outcome });
      this.metrics.latency.observe({ function: label, transport }, (Date.now() - arrival) / 1000);
    }
  }

  /**
   * NATS invocations on `epara.v1.invoke.<fn>`. With direct reply (default) the request is forwarded with
   * the producer's reply subject, so the worker answers the producer itself (1.5 hops); errors found
   * here are answered here.
   */
  handleNats(msg: Msg): void {
    const fn = msg.subject.split('.')[3] ?? '';
    let req: InvokeRequest;
    try {
      req = {
        body: msg.data,
        contentType: msg.headers?.get(Header.ContentType) || undefined,
        accept: msg.headers?.get(Header.Accept) || undefined,
        requestId: msg.headers?.get(Header.RequestId) || undefined,
        ...clientRequestHeaders((name) => msg.headers?.get(name)),
      };
    } catch (e) {
      const err = respondError(msg, e, msg.headers?.get(Header.RequestId) || undefined);
      this.metrics.requests.inc({ function: functionLabel(this.registry, fn), transport: 'nats', outcome: String(err.code) });
      return;
    }
    // Split requests are merged here, so the gateway must see the replies.
    const mode = this.registry.find(fn)?.category.mode;
    if (!this.config.directReply || !msg.reply || mode === Mode.Sp || mode === Mode.Pp) {
      // A producer's body over the max payload arrives as `Epara-Payload-Ref`: read it to run the request here.
      this.nats.payloads
        .body(msg)
        .then((body) => this.invoke(fn, { ...req, body }, 'nats'))
        .then(async (r) => {
          if (!msg.reply) return;
          const h = natsHeaders();
          h.set(Header.ContentType, r.contentType);
          for (const [k, v] of Object.entries(r.headers)) h.set(k, v);
          await this.nats.payloads.respond(msg, r.body, h);
        })
        .catch((e) => respondError(msg, e, req.requestId));
      return;
    }
    const forward = async () => {
      const record = this.registry.get(fn);
      this.checkServable(record);
      const arrival = Date.now();
      const streamId = this.streamOf(record, req);
      this.admission.check(record, arrival);
      const deadline = this.caller.deadlineOf(record, arrival, req.deadlineEpochMs);
      const requestId = req.requestId || nuid.next();
      const route = this.caller.route(record, undefined, streamId);
      const h = this.caller.headers(req, deadline, requestId);
      // A stored body stays where it is: the worker reads it by the producer's ref.
      const ref = msg.headers?.get(Header.PayloadRef);
      if (ref) h.set(Header.PayloadRef, ref);
      await this.caller.forward(record, route, msg.data, msg.reply!, h, deadline);
    };
    forward()
      .then(() => this.metrics.requests.inc({ function: functionLabel(this.registry, fn), transport: 'nats', outcome: 'forwarded' }))
      .catch((e) => {
        const err = respondError(msg, e, req.requestId);
        this.metrics.requests.inc({ function: functionLabel(this.registry, fn), transport: 'nats', outcome: String(err.code) });
      });
  }
}
