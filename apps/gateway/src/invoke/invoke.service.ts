import { Inject, Injectable, Logger } from '@nestjs/common';
import { createInbox, headers as natsHeaders, Msg, MsgHdrs, nuid } from '@nats-io/transport-node';
import {
  decodeInvocation,
  decodeResultTensors,
  encodeResult,
  encodeTensorsMsgpack,
  EparaError,
  FunctionKind,
  FunctionRecord,
  Header,
  MediaType,
  Mode,
  SERVING_HEADERS,
  subjects,
} from '@epara/contracts';
import { PipelinePlan, RequestRouter, Route, routeSubject, RouteTarget } from '@epara/core';
import { decodeJson, NatsClient, natsFailure, replyError, respondError } from '@epara/nats';
import { ClusterReplicaView } from '../cluster/cluster-replica-view';
import { ClusterView } from '../cluster/cluster-view.service';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';
import { FunctionRegistry } from '../functions/function-registry.service';
import { GatewayMetrics } from '../common/gateway-metrics';
import { SplitInvoker } from './split-invoker';

/** What a caller sent, transport-neutral. */
export interface InvokeRequest {
  body: Uint8Array;
  contentType?: string;
  accept?: string;
  /** Client's own deadline, epoch ms; the earlier of it and arrival + SLO wins. */
  deadlineEpochMs?: number;
  requestId?: string;
  priority?: string;
}

export interface InvokeReply {
  body: Uint8Array;
  contentType: string;
  /** Serving headers from the worker (`Epara-Device`, `Epara-Batch-Size`, ...). */
  headers: Record<string, string>;
}

/** Longest a non-streamed generation may take, ms. */
const GENERATION_TIMEOUT_MS = 120_000;
/** Longest gap between two streamed tokens before the gateway gives up, ms. */
const STREAM_IDLE_MS = 30_000;

/**
 * The distributed request handler on the gateway, as NATS wiring around the core's RequestRouter
 * (deadline, replica, retry target) and PipelinePlan (the `pp` chain): it builds the headers, sends,
 * retries once elsewhere when nobody answered the subject, maps failures to errors and counts metrics.
 */
@Injectable()
export class InvokeService {
  private readonly logger = new Logger(InvokeService.name);
  private readonly router: RequestRouter<string>;

  constructor(
    private readonly nats: NatsClient,
    private readonly registry: FunctionRegistry,
    private readonly cluster: ClusterView,
    private readonly metrics: GatewayMetrics,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly split: SplitInvoker,
  ) {
    this.router = new RequestRouter(new ClusterReplicaView(cluster), { policy: config.policy, random: Math.random });
  }

  private deadlineOf(record: FunctionRecord, arrivalMs: number, clientDeadline?: number): number {
    return RequestRouter.deadlineOf(record.slo.latencyMs, arrivalMs, clientDeadline);
  }

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

  /** The router's route for a request of `record`, as long as one can be sent: 503 when no replica is placed. */
  private placed(record: FunctionRecord, route: Route<string>): Route<string> {
    if (route.target === RouteTarget.Unplaced) {
      throw EparaError.noCapacity(
        `function "${record.name}" has no replica placed yet: no worker has room for it, or the scheduler is not running`,
        { function: record.name },
      );
    }
    return route;
  }

  private workerHeaders(req: InvokeRequest, deadline: number, requestId: string): MsgHdrs {
    const h = natsHeaders();
    h.set(Header.ContentType, req.contentType ?? MediaType.Json);
    if (req.accept) h.set(Header.Accept, req.accept);
    h.set(Header.Deadline, String(deadline));
    h.set(Header.RequestId, requestId);
    if (req.priority) h.set(Header.Priority, req.priority);
    return h;
  }

  /** HTTP and relayed NATS invocations: the gateway waits for the worker's reply. */
  async invoke(fn: string, req: InvokeRequest, transport: 'http' | 'nats'): Promise<InvokeReply> {
    const arrival = Date.now();
    let outcome = 'ok';
    try {
      const record = this.registry.get(fn);
      this.checkServable(record);
      const deadline = this.deadlineOf(record, arrival, req.deadlineEpochMs);
      if (deadline <= arrival) throw EparaError.deadline('deadline passed before the request reached the gateway');
      const requestId = req.requestId || nuid.next();
      if (record.category.mode === Mode.Sp || record.category.mode === Mode.Pp) {
        const reply =
          record.category.mode === Mode.Sp
            ? await this.split.invoke(record, req, deadline, requestId)
            : await this.pipeline(record, req, deadline, requestId);
        if (Date.now() - arrival > record.slo.latencyMs) outcome = 'slo_missed';
        else this.metrics.goodRequests.inc({ function: fn });
        return reply;
      }
      const h = this.workerHeaders(req, deadline, requestId);
      let route = this.placed(record, this.router.route(record.name));
      let reply: { msg: Msg; body: Uint8Array };
      try {
        reply = await this.send(route, req.body, h, deadline, record.kind === FunctionKind.TextGeneration);
      } catch (e) {
        if (!natsFailure.isNoResponders(e)) throw e;
        // Nothing ran (no subscriber): safe to retry once, on another replica or the whole queue group.
        this.logger.warn(`no responders on ${routeSubject(route)} for ${fn} (request ${requestId}); retrying once`);
        route = this.placed(record, this.router.retryTarget(route));
        reply = await this.send(route, req.body, h, deadline).catch((e2) => {
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
      this.metrics.requests.inc({ function: fn, transport, outcome });
      this.metrics.latency.observe({ function: fn, transport }, (Date.now() - arrival) / 1000);
    }
  }

  /**
   * The `pp` mode: the request flows stage to stage (stage → gateway → stage). The core's PipelinePlan
   * says what each stage reads and returns and what the reply is; this loop only sends each step as
   * msgpack to a replica of its stage and hands the outputs back to the run.
   */
  private async pipeline(record: FunctionRecord, req: InvokeRequest, deadline: number, requestId: string): Promise<InvokeReply> {
    const invocation = decodeInvocation(req.body, req.contentType);
    if (invocation.type !== 'tensors')
      throw EparaError.badInput(`function "${record.name}" takes tensors (JSON or msgpack), not ${invocation.mediaType}`);
    const run = PipelinePlan.of(record, invocation.outputNames).start(invocation.inputs, deadline, requestId);
    for (let step = run.next(); step; step = run.next()) {
      const h = natsHeaders();
      for (const [k, v] of Object.entries(step.headers)) h.set(k, v);
      const stage = step.stage.index;
      const route = this.placed(record, this.router.route(record.name, undefined, stage));
      const reply = await this.send(route, encodeTensorsMsgpack(step.feeds, undefined, [...step.stage.returns]), h, deadline).catch((e) => {
        if (natsFailure.isNoResponders(e)) throw EparaError.noCapacity(`no worker answered for stage ${stage} of "${record.name}"`);
        throw e;
      });
      const err = replyError(reply.msg);
      if (err) throw err;
      run.stageDone(decodeResultTensors(reply.body, MediaType.Msgpack), {
        device: reply.msg.headers?.get(Header.Device) ?? route.device ?? '?',
        execMs: Number(reply.msg.headers?.get(Header.ExecMs) ?? 0),
        queueMs: Number(reply.msg.headers?.get(Header.QueueMs) ?? 0),
      });
    }
    const { outputs, headers } = run.reply();
    const { body, contentType } = encodeResult(
      { type: 'tensors', outputs },
      { modelName: record.name, id: invocation.id },
      req.accept ?? req.contentType,
    );
    return { body, contentType, headers };
  }

  /** Whether an HTTP request should be answered as a server-sent event stream. */
  wantsStream(fn: string, accept: string | undefined): boolean {
    return this.registry.find(fn)?.kind === FunctionKind.TextGeneration && (accept ?? '').includes('text/event-stream');
  }

  /**
   * Token streaming (text generation over HTTP SSE): the gateway keeps its own inbox, passes each token
   * message on as it comes, and when the client leaves (`signal`) tells the worker to stop generating.
   */
  async stream(
    fn: string,
    req: InvokeRequest,
    onEvent: (kind: 'token' | 'end', data: unknown) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const arrival = Date.now();
    const record = this.registry.get(fn);
    if (record.kind !== FunctionKind.TextGeneration)
      throw EparaError.badInput(`function "${fn}" is ${record.kind}; only text-generation functions stream`);
    const deadline = this.deadlineOf(record, arrival, req.deadlineEpochMs);
    const requestId = req.requestId || nuid.next();
    const route = this.placed(record, this.router.route(record.name));
    const subject = routeSubject(route);
    const h = this.workerHeaders(req, deadline, requestId);
    h.set(Header.Stream, '1');
    const inbox = createInbox();
    const sub = this.nats.nc.subscribe(inbox);
    const cancel = () => {
      sub.unsubscribe();
      if (route.device) this.nats.nc.publish(subjects.cancel(route.device), Buffer.from(JSON.stringify({ requestId })));
    };
    signal.addEventListener('abort', cancel, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const watchdog = (ms: number) => {
      clearTimeout(timer);
      timer = setTimeout(() => sub.unsubscribe(), ms);
    };
    watchdog(Math.max(1, deadline - Date.now() + this.config.replyGraceMs));
    try {
      this.nats.nc.publish(subject, req.body, { reply: inbox, headers: h });
      let ended = false;
      for await (const m of sub) {
        if (m.headers?.code === 503) throw EparaError.noCapacity(`no worker answered for function "${fn}"`);
        const err = replyError(m);
        if (err) throw err;
        const kind = m.headers?.get(Header.Stream) === 'token' ? 'token' : 'end';
        onEvent(kind, decodeJson(m.data, `a ${kind} event of a generation stream`));
        if (kind === 'end') {
          ended = true;
          break;
        }
        watchdog(STREAM_IDLE_MS);
      }
      if (!ended && !signal.aborted) throw EparaError.deadline(`function "${fn}" stopped streaming (no token within the deadline)`);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', cancel);
      sub.unsubscribe();
      this.metrics.requests.inc({ function: fn, transport: 'http', outcome: signal.aborted ? 'cancelled' : 'streamed' });
    }
  }

  /** One request to a worker; bodies over the NATS max payload go through the object store both ways. */
  private async send(
    route: Route<string>,
    body: Uint8Array,
    h: MsgHdrs,
    deadline: number,
    generation = false,
  ): Promise<{ msg: Msg; body: Uint8Array }> {
    // A whole generation takes far longer than its time to first token (the deadline it carries).
    const timeout = generation ? GENERATION_TIMEOUT_MS : Math.max(1, deadline - Date.now() + this.config.replyGraceMs);
    if (route.device) this.cluster.begin(route.device);
    try {
      return await this.nats.payloads.request(this.nats.nc, routeSubject(route), body, { timeout, headers: h, noMux: false });
    } catch (e) {
      if (natsFailure.isTimeout(e)) throw EparaError.deadline(`no reply within the deadline (${route.device ?? routeSubject(route)})`);
      throw e;
    } finally {
      if (route.device) this.cluster.end(route.device);
    }
  }

  /**
   * NATS invocations on `epara.v1.invoke.<fn>`. With direct reply (default) the request is forwarded with
   * the producer's reply subject, so the worker answers the producer itself (1.5 hops); errors found
   * here are answered here.
   */
  handleNats(msg: Msg): void {
    const fn = msg.subject.split('.')[3] ?? '';
    const req: InvokeRequest = {
      body: msg.data,
      contentType: msg.headers?.get(Header.ContentType) || undefined,
      accept: msg.headers?.get(Header.Accept) || undefined,
      deadlineEpochMs: Number(msg.headers?.get(Header.Deadline)) || undefined,
      requestId: msg.headers?.get(Header.RequestId) || undefined,
      priority: msg.headers?.get(Header.Priority) || undefined,
    };
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
      const deadline = this.deadlineOf(record, Date.now(), req.deadlineEpochMs);
      const requestId = req.requestId || nuid.next();
      const route = this.placed(record, this.router.route(record.name));
      const h = this.workerHeaders(req, deadline, requestId);
      // A stored body stays where it is: the worker reads it by the producer's ref.
      const ref = msg.headers?.get(Header.PayloadRef);
      if (ref) h.set(Header.PayloadRef, ref);
      await this.nats.payloads.publish(this.nats.nc, routeSubject(route), msg.data, { reply: msg.reply, headers: h });
    };
    forward()
      .then(() => this.metrics.requests.inc({ function: fn, transport: 'nats', outcome: 'forwarded' }))
      .catch((e) => {
        const err = respondError(msg, e, req.requestId);
        this.metrics.requests.inc({ function: fn, transport: 'nats', outcome: String(err.code) });
      });
  }
}
