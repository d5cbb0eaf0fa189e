import { Logger } from '@nestjs/common';
import { headers as natsHeaders, Msg, nuid } from '@nats-io/transport-node';
import { EparaError, Header, MediaType, parseDeadlineHeader, parseGenerationInput } from '@epara/contracts';
import { respondError } from '@epara/nats';
import { GenerationEngine } from '@epara/generation';
import { WorkerMetrics } from '../state/worker-metrics';
import type { ServedFunction } from './request-handler';

/** Longest prompt + output the decoder takes (the tiny GPT's positions). */
const MAX_SEQUENCE_TOKENS = 256;
/** Time per output token when the function's SLO does not say, ms. */
const DEFAULT_TPOT_MS = 200;

/**
 * Text generation on this device: one GenerationEngine per function, batching per iteration (requests
 * join and leave the running batch between decode steps). Tokens stream to the request's reply subject
 * (a message each, `Epara-Stream: token`, then one `Epara-Stream: end`), or come back in one reply.
 */
export class GenerationServer {
  private readonly logger = new Logger(GenerationServer.name);
  private readonly engines = new Map<string, GenerationEngine>();
  /** request id → unit, to find the engine a cancellation is for. */
  private readonly requests = new Map<string, string>();

  constructor(
    private readonly device: string,
    private readonly metrics: WorkerMetrics,
  ) {}

  attach(served: ServedFunction): void {
    this.engines.set(served.unit, new GenerationEngine({ session: served.model.session, maxSequenceTokens: MAX_SEQUENCE_TOKENS }));
  }

  async detach(unit: string): Promise<void> {
    const engine = this.engines.get(unit);
    this.engines.delete(unit);
    await engine?.stop();
  }

  load(unit: string): { queued: number; running: number } {
    const e = this.engines.get(unit);
    return { queued: e?.waiting ?? 0, running: e?.running ?? 0 };
  }

  cancel(requestId: string): boolean {
    const unit = this.requests.get(requestId);
    return unit ? (this.engines.get(unit)?.cancel(requestId) ?? false) : false;
  }

  handle(msg: Msg, served: ServedFunction): void {
    const requestId = msg.headers?.get(Header.RequestId) || nuid.next();
    served.received++;
    const fail = (e: unknown) => {
      const err = respondError(msg, e, requestId);
      this.metrics.requests.inc({ function: served.unit, outcome: String(err.code) });
    };
    const engine = this.engines.get(served.unit);
    if (!engine) return fail(EparaError.noCapacity(`function "${served.record.name}" is not loaded on ${this.device}`));
    let input;
    let deadline;
    try {
      deadline = parseDeadlineHeader(msg.headers?.get(Header.Deadline));
      input = parseGenerationInput(msg.data);
    } catch (e) {
      return fail(e);
    }
    const arrival = Date.now();
    const ttftMs = deadline !== undefined ? deadline - arrival : served.record.slo.latencyMs;
    if (ttftMs <= 0) return fail(EparaError.deadline('deadline passed before the request reached the worker; it did not run'));
    const stream = input.stream || msg.headers?.get(Header.Stream) === '1';
    const reply = (body: unknown, kind?: 'token' | 'end') => {
      if (!msg.reply) return;
      const h = natsHeaders();
      h.set(Header.ContentType, MediaType.Json);
      h.set(Header.RequestId, requestId);
      h.set(Header.Device, this.device);
      if (kind) h.set(Header.Stream, kind);
      msg.respond(Buffer.from(JSON.stringify(body)), { headers: h });
    };
    let index = 0;
    this.requests.set(requestId, served.unit);
    engine.submit({
      id: requestId,
      prompt: input.prompt,
      maxTokens: input.maxTokens,
      stop: input.stop,
      temperature: input.temperature,
      deadlineTtftMs: ttftMs,
      tpotSloMs: served.record.slo.tpotMs ?? DEFAULT_TPOT_MS,
      onToken: (text, tokenId) => {
        if (stream) reply({ index: index++, token: text, id: tokenId }, 'token');
      },
      onDone: (o) => {
        this.requests.delete(requestId);
        if (o.code) return fail(new EparaError(o.code, o.message ?? `generation ended: ${o.reason}`));
        const summary = { text: o.text, tokens: o.tokens, reason: o.reason, ttftMs: o.ttftMs, tpotMs: o.tpotMs };
        reply(stream ? { done: true, ...summary } : summary, stream ? 'end' : undefined);
        const good =
          o.ttftMs !== null && o.ttftMs <= ttftMs && (o.tpotMs === null || o.tpotMs <= (served.record.slo.tpotMs ?? DEFAULT_TPOT_MS));
        this.metrics.requests.inc({ function: served.unit, outcome: o.reason === 'cancelled' ? 'cancelled' : good ? 'ok' : 'slo_missed' });
        if (good) this.metrics.good.inc({ function: served.unit });
        if (o.reason === 'cancelled') this.logger.log(`${served.unit} request ${requestId} cancelled after ${o.tokens} tokens`);
      },
    });
  }
}
