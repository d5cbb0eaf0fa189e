import { Logger } from '@nestjs/common';
import { headers as natsHeaders, Msg, nuid } from '@nats-io/transport-node';
import {
  asEparaError,
  decodeInvocation,
  EparaError,
  encodeResult,
  FunctionRecord,
  Header,
  Mode,
  parseDeadlineHeader,
} from '@epara/contracts';
import { LargePayloads, respondError } from '@epara/nats';
import { LoadedModel } from '@epara/runtime';
import { DeviceExecutor, PendingRequest, ServedInfo } from '@epara/core';
import { WorkerMetrics } from '../state/worker-metrics';

/** What the handler needs to know about a function placed here. */
export interface ServedFunction {
  /** What is placed here: the function, or one pipeline stage of it (`<fn>#<stage>`). */
  unit: string;
  /** Requests that reached this device for it, answered or not (the demand, for heartbeats). */
  received: number;
  /** Of `received`, those refused for load (see `sheddingForLoad`): the share gateways throttle from. */
  shed: number;
  /** The unit's execution-time estimate, ms per batch size. */
  readonly estimator: { execMs(batch: number): number };
  record: FunctionRecord;
  mode: Mode;
  model: LoadedModel;
}

const fmt = (ms: number) => ms.toFixed(3);

/**
 * A refusal less traffic would have avoided: a 429 (the queue ahead outlasts the deadline), or a 504
 * for a request that waited too long — upstream, or in the queue — when one run alone fits the SLO. A
 * function whose SLO is shorter than one run gets 504s at any rate; those are not load and must not
 * make gateways throttle it.
 */
export function sheddingForLoad(code: number, fn: ServedFunction): boolean {
  return code === 429 || (code === 504 && fn.estimator.execMs(1) < fn.record.slo.latencyMs);
}

/**
 * Turns NATS requests for placed functions into queued work and answers them: a passed deadline is
 * answered 504 before anything runs, bad input 400 (naming what is wrong), a full queue 429.
 * Replies go to the message's reply subject: the gateway's inbox, or the producer's own when the
 * gateway forwarded it (1.5 hops).
 */
export class RequestHandler {
  private readonly logger = new Logger(RequestHandler.name);

  constructor(
    private readonly device: string,
    private readonly executor: DeviceExecutor,
    private readonly metrics: WorkerMetrics,
    /** Bodies over the NATS max payload, both ways (`Epara-Payload-Ref`). */
    private readonly payloads: LargePayloads,
    private readonly now: () => number = Date.now,
  ) {}

  handle(msg: Msg, fn: ServedFunction): void {
    const arrivalMs = this.now();
    fn.received++;
    const requestId = msg.headers?.get(Header.RequestId) || nuid.next();
    const accept = msg.headers?.get(Header.Accept) || msg.headers?.get(Header.ContentType) || undefined;
    const name = fn.unit;
    const metrics = this.metrics.forUnit(name);
    const fail = (e: unknown) => {
      const err = respondError(msg, e, requestId);
      if (sheddingForLoad(err.code, fn)) fn.shed++;
      metrics.failed(err.code).inc();
      if (err.code === 500) this.logger.error(`${name} request ${requestId} failed: ${(e as Error)?.stack ?? String(e)}`);
    };
    let deadlineHeader;
    try {
      // A producer may publish to a function's subject directly: its deadline is checked here too.
      deadlineHeader = parseDeadlineHeader(msg.headers?.get(Header.Deadline));
    } catch (e) {
      return fail(e);
    }
    const deadlineMs = deadlineHeader ?? arrivalMs + fn.record.slo.latencyMs;
    if (deadlineMs <= arrivalMs) return fail(EparaError.deadline('deadline passed before the request reached the worker; it did not run'));
    // Under overload, refuse before decoding: a refused request then costs a header read, not a decode.
    const refusal = this.executor.admit(name, deadlineMs);
    if (refusal) return fail(refusal.toError(requestId));
    // A body over the max payload arrives as a ref to the object store (`Epara-Payload-Ref`).
    this.payloads
      .body(msg)
      .then(async (body) => {
        const invocation = decodeInvocation(body, msg.headers?.get(Header.ContentType) || undefined);
        return { invocation, prepared: await fn.model.kind.prepare(invocation, fn.model.info) };
      })
      .then(({ invocation, prepared }) => {
        const pending: PendingRequest = {
          fn: name,
          prepared,
          requestId,
          arrivalMs,
          deadlineMs,
          settle: (outcome) => {
            if ('error' in outcome) return fail(outcome.error);
            void this.reply(
              msg,
              fn,
              outcome.result,
              outcome.served,
              requestId,
              accept,
              invocation.type === 'tensors' ? invocation.id : undefined,
              arrivalMs,
              deadlineMs,
            );
          },
        };
        // enqueue checks again: the queue may have moved while the body was fetched and decoded.
        this.executor.enqueue(pending);
      })
      .catch(fail);
  }

  private async reply(
    msg: Msg,
    fn: ServedFunction,
    result: Parameters<typeof encodeResult>[0],
    served: ServedInfo,
    requestId: string,
    accept: string | undefined,
    id: string | undefined,
    arrivalMs: number,
    deadlineMs: number,
  ): Promise<void> {
    const name = fn.unit;
    try {
      const { body, contentType } = encodeResult(result, { modelName: fn.record.name, id }, accept);
      const h = natsHeaders();
      h.set(Header.ContentType, contentType);
      h.set(Header.RequestId, requestId);
      h.set(Header.Device, this.device);
      h.set(Header.Mode, fn.mode);
      h.set(Header.BatchSize, String(served.batchSize));
      h.set(Header.QueueMs, fmt(served.queueMs));
      h.set(Header.ExecMs, fmt(served.execMs));
      await this.payloads.respond(msg, body, h);
      const done = this.now();
      const metrics = this.metrics.forUnit(name);
      if (done <= deadlineMs) {
        metrics.ok.inc();
        metrics.good.inc();
      } else metrics.sloMissed.inc();
      metrics.latency.observe((done - arrivalMs) / 1000);
      metrics.queueTime.observe(served.queueMs / 1000);
    } catch (e) {
      const err = asEparaError(e);
      respondError(msg, err, requestId);
      this.metrics.forUnit(name).failed(err.code).inc();
    }
  }
}
