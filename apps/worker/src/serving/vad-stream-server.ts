import { Logger } from '@nestjs/common';
import { headers as natsHeaders, Msg, nuid } from '@nats-io/transport-node';
import { EparaError, Header, MediaType, parseDeadlineHeader, requireStreamId } from '@epara/contracts';
import type { BatchFeedback } from '@epara/core';
import { decodeAudioFrame, sileroWindowRequest, sileroWindowResults, VadFrameOutcome, VadStreamEngine } from '@epara/kinds';
import { LargePayloads, respondError } from '@epara/nats';
import type { LoadedModel } from '@epara/runtime';
import { WorkerMetrics } from '../state/worker-metrics';
import { sheddingForLoad } from './request-handler';
import type { WorkerUnit, WorkerWanted } from './worker-unit';

/** Streams one VAD step runs at most: Silero's cost per window falls with the batch up to about this (CPU). */
const MAX_BATCH_STREAMS = 128;
const fmt = (ms: number) => ms.toFixed(3);

/**
 * Audio VAD on this device: one VadStreamEngine per function, which keeps every stream's recurrent state
 * and runs one window of each waiting stream per step (iteration-level batching, as text generation
 * does), instead of the request batcher. Frames of one stream reach the engine in the order they arrive
 * here and are answered in that order. Each step's run is booked with BatchFeedback (execution-time
 * estimate, batch metrics), so heartbeats report what VAD costs here.
 */
export class VadStreamServer {
  private readonly logger = new Logger(VadStreamServer.name);
  private readonly engines = new Map<string, VadStreamEngine>();
  /** Model time of VAD steps since the last heartbeat read it, ms: VAD runs beside the executor's batches. */
  private busyMs = 0;

  constructor(
    private readonly device: string,
    private readonly metrics: WorkerMetrics,
    private readonly payloads: LargePayloads,
    private readonly feedback: BatchFeedback<WorkerWanted, LoadedModel>,
    /** A stream with no frame for this long is forgotten, ms. */
    private readonly idleMs: number,
    /** Frames waiting over all streams of a function before new ones get 429. */
    private readonly maxQueuedFrames: number,
  ) {}

  attach(u: WorkerUnit): void {
    const info = u.model.info;
    const engine = new VadStreamEngine({
      label: `${u.unit} on ${this.device}`,
      idleMs: this.idleMs,
      maxQueuedFrames: this.maxQueuedFrames,
      maxBatchStreams: MAX_BATCH_STREAMS,
      runner: {
        run: async (windows) => {
          const prepared = windows.map((w) => sileroWindowRequest(w, info));
          const t0 = performance.now();
          const outputs = await u.model.run(prepared);
          const execMs = performance.now() - t0;
          this.busyMs += execMs;
          this.feedback.afterRun(
            u,
            prepared.map((p) => ({ prepared: p })),
            prepared.length,
            execMs,
          );
          return sileroWindowResults(outputs, info);
        },
      },
    });
    // A unit loaded again (a new model) replaces its engine: the old one's streams restart on the new one.
    const old = this.engines.get(u.unit);
    this.engines.set(u.unit, engine);
    old?.stop().catch((e) => this.logger.warn(`${u.unit}: stopping the previous VAD engine failed: ${(e as Error).message}`));
  }

  async detach(unit: string): Promise<void> {
    const engine = this.engines.get(unit);
    this.engines.delete(unit);
    await engine?.stop();
  }

  /**
   * Shutdown: lets the frames already here finish until `untilMs` (epoch ms), then answers the rest 503
   * and forgets every stream, before the models are released.
   */
  async drain(untilMs: number): Promise<void> {
    const engines = [...this.engines.values()];
    const idle = Promise.all(engines.map((e) => e.whenIdle()));
    await Promise.race([idle, new Promise((r) => setTimeout(r, Math.max(0, untilMs - Date.now())).unref())]);
    this.engines.clear();
    await Promise.all(engines.map((e) => e.stop()));
  }

  /** The model time of VAD steps since the last call, ms (for the device's utilization). */
  takeBusyMs(): number {
    const ms = this.busyMs;
    this.busyMs = 0;
    return ms;
  }

  /** Frames waiting and frames in the step in flight: the unit's queue in heartbeats. */
  load(unit: string): { queued: number; running: number } {
    const e = this.engines.get(unit);
    return { queued: e?.queued ?? 0, running: e?.running ?? 0 };
  }

  handle(msg: Msg, u: WorkerUnit): void {
    const arrivalMs = Date.now();
    u.received++;
    const requestId = msg.headers?.get(Header.RequestId) || nuid.next();
    const metrics = this.metrics.forUnit(u.unit);
    const fail = (e: unknown) => {
      const err = respondError(msg, e, requestId);
      if (sheddingForLoad(err.code, u)) u.shed++;
      metrics.failed(err.code).inc();
      if (err.code === 500) this.logger.error(`${u.unit} frame ${requestId} failed: ${(e as Error)?.stack ?? String(e)}`);
    };
    const engine = this.engines.get(u.unit);
    if (!engine) return fail(EparaError.noCapacity(`function "${u.record.name}" is not loaded on ${this.device}; retry`));
    let deadlineMs: number;
    let streamId: string;
    try {
      deadlineMs = parseDeadlineHeader(msg.headers?.get(Header.Deadline)) ?? arrivalMs + u.record.slo.latencyMs;
      streamId = requireStreamId(msg.headers?.get(Header.StreamId), u.record.name);
    } catch (e) {
      return fail(e);
    }
    if (deadlineMs <= arrivalMs) return fail(EparaError.deadline('deadline passed before the frame reached the worker; it did not run'));
    const submit = (body: Uint8Array) => {
      const samples = decodeAudioFrame(body, msg.headers?.get(Header.ContentType) || undefined);
      engine.submit({
        streamId,
        samples,
        deadlineMs,
        onDone: (o) => this.reply(msg, u, o, requestId, streamId, arrivalMs, deadlineMs, fail),
      });
    };
    try {
      // Inline bodies are submitted at once, so frames of a stream keep their arrival order; only a frame
      // over the NATS max payload (`Epara-Payload-Ref`) waits for the object store first.
      if (!msg.headers?.get(Header.PayloadRef)) return submit(msg.data);
    } catch (e) {
      return fail(e);
    }
    this.payloads.body(msg).then(submit).catch(fail);
  }

  private reply(
    msg: Msg,
    u: WorkerUnit,
    o: VadFrameOutcome,
    requestId: string,
    streamId: string,
    arrivalMs: number,
    deadlineMs: number,
    fail: (e: unknown) => void,
  ): void {
    if (!o.ok) return fail(new EparaError(o.code, o.message, o.code === 429 ? { retryAfterMs: 1000 } : undefined));
    const h = natsHeaders();
    h.set(Header.ContentType, MediaType.Json);
    h.set(Header.RequestId, requestId);
    h.set(Header.Device, this.device);
    h.set(Header.Mode, u.mode);
    h.set(Header.StreamId, streamId);
    h.set(Header.BatchSize, String(o.served.batchSize));
    h.set(Header.QueueMs, fmt(o.served.queueMs));
    h.set(Header.ExecMs, fmt(o.served.execMs));
    if (msg.reply) msg.respond(Buffer.from(JSON.stringify(o.result)), { headers: h });
    const done = Date.now();
    const metrics = this.metrics.forUnit(u.unit);
    if (done <= deadlineMs) {
      metrics.ok.inc();
      metrics.good.inc();
    } else metrics.sloMissed.inc();
    metrics.latency.observe((done - arrivalMs) / 1000);
    metrics.queueTime.observe(o.served.queueMs / 1000);
  }
}
