import { Inject, Injectable } from '@nestjs/common';
import { createInbox, nuid } from '@nats-io/transport-node';
import { EparaError, FunctionKind, Header, subjects } from '@epara/contracts';
import { routeSubject } from '@epara/core';
import { decodeJson, NatsClient, replyError } from '@epara/nats';
import { GatewayMetrics } from '../common/gateway-metrics';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';
import { FunctionRegistry } from '../functions/function-registry.service';
import type { InvokeRequest } from './invoke.service';
import { WorkerCaller } from './worker-caller';

/** Longest gap between two streamed tokens before the gateway gives up, ms. */
const STREAM_IDLE_MS = 30_000;

/**
 * Token streaming (text generation over HTTP SSE): the gateway keeps its own inbox, passes each token
 * message on as it comes, and when the client leaves tells the worker to stop generating.
 */
@Injectable()
export class GenerationStreamer {
  constructor(
    private readonly nats: NatsClient,
    private readonly registry: FunctionRegistry,
    private readonly caller: WorkerCaller,
    private readonly metrics: GatewayMetrics,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  /** Whether an HTTP request should be answered as a server-sent event stream. */
  wantsStream(fn: string, accept: string | undefined): boolean {
    return this.registry.find(fn)?.kind === FunctionKind.TextGeneration && (accept ?? '').includes('text/event-stream');
  }

  /** Streams one generation to `onEvent` until its end event, the deadline, an idle gap, or `signal` (the client left). */
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
    const deadline = this.caller.deadlineOf(record, arrival, req.deadlineEpochMs);
    const requestId = req.requestId || nuid.next();
    const route = this.caller.route(record);
    const subject = routeSubject(route);
    const h = this.caller.headers(req, deadline, requestId);
    h.set(Header.Stream, '1');
    const inbox = createInbox(this.nats.options.security?.inboxPrefix);
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
}
