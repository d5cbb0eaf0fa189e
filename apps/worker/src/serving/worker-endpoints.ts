import {
  EPARA_VERSION,
  EparaError,
  EventKind,
  EventPublisher,
  FunctionKind,
  functionQueue,
  Header,
  Mode,
  parseStageHeader,
  subjects,
  unitKey,
} from '@epara/contracts';
import type { EndpointPublisher, UnitState } from '@epara/core';
import { addMicroService, MicroService, NatsClient, respondError } from '@epara/nats';
import type { LoadedModel } from '@epara/runtime';
import { GenerationServer } from './generation-server';
import { RequestHandler } from './request-handler';
import { VadStreamServer } from './vad-stream-server';
import type { WorkerUnit, WorkerWanted } from './worker-unit';

export const WORKER_VERSION = EPARA_VERSION;

/** What the endpoints read from the worker around them. */
export interface EndpointContext {
  device: string;
  slot: string;
  host: string;
  provider(): string;
  /** The ready unit requests for `unit` go to now. */
  unit(unit: string): WorkerUnit | undefined;
  /** Every unit here with its lifecycle state, for the service metadata. */
  states(): UnitState[];
  stats(): unknown;
}

/**
 * The reconciler's EndpointPublisher on a live worker: the device is a NATS service whose endpoints
 * are its units, re-registered on each change: `epara.v1.<mode>.<fn>` and `epara.v1.<mode>.<fn>.<device>`,
 * both in queue group `epara.<fn>`. The new service starts before the old one stops, and both
 * subjects share the queue group, so no request is lost or answered twice. Units loaded in the change
 * are announced once published.
 */
export class WorkerEndpoints implements EndpointPublisher<WorkerWanted, LoadedModel> {
  private service?: MicroService;

  constructor(
    private readonly nats: NatsClient,
    private readonly events: EventPublisher,
    private readonly handler: RequestHandler,
    private readonly generation: GenerationServer,
    private readonly vad: VadStreamServer,
    private readonly ctx: EndpointContext,
  ) {}

  async publish(serving: readonly WorkerUnit[], loaded: readonly WorkerUnit[]): Promise<void> {
    const { device } = this.ctx;
    const old = this.service;
    const units = [...serving].sort((a, b) => a.unit.localeCompare(b.unit));
    const fns = [...new Set(units.map((p) => p.record.name))];
    const svc = await addMicroService(this.nats.nc, {
      name: 'epara-worker',
      version: WORKER_VERSION,
      description: `Epara worker for device ${device}`,
      metadata: {
        device,
        slot: this.ctx.slot,
        host: this.ctx.host,
        provider: this.ctx.provider(),
        functions: units.map((p) => p.unit).join(','),
        lifecycle: this.ctx
          .states()
          .map((s) => `${s.unit}:${s.state}`)
          .join(','),
      },
      stats: async () => this.ctx.stats(),
    });
    for (const fn of fns) {
      const first = units.find((p) => p.record.name === fn)!;
      const queue = functionQueue(fn);
      if (first.mode === Mode.Pp) {
        // One subject per (function, device) whatever stages live here; `Epara-Stage` picks the stage.
        const handle = (err: Error | null, msg: Parameters<RequestHandler['handle']>[0]) => {
          if (err) return;
          let stage: number;
          try {
            stage = parseStageHeader(msg.headers?.get(Header.Stage));
          } catch (e) {
            return void respondError(msg, e);
          }
          const unit = unitKey(fn, stage);
          const current = this.ctx.unit(unit);
          if (!current) return void respondError(msg, EparaError.noCapacity(`stage ${unit} is not on ${device}`));
          this.handler.handle(msg, current);
        };
        svc.addEndpoint(`${fn}-stages-on-${device}`, {
          handler: handle,
          subject: subjects.device(Mode.Pp, fn, device),
          queue,
          metadata: { function: fn, mode: Mode.Pp, route: 'device' },
        });
        continue;
      }
      const handle = (err: Error | null, msg: Parameters<RequestHandler['handle']>[0]) => {
        if (err) return;
        const current = this.ctx.unit(fn);
        if (!current) return void respondError(msg, EparaError.noCapacity(`function "${fn}" is no longer on ${device}; retry`));
        if (current.record.kind === FunctionKind.TextGeneration) this.generation.handle(msg, current);
        else if (current.record.kind === FunctionKind.AudioVad) this.vad.handle(msg, current);
        else this.handler.handle(msg, current);
      };
      svc.addEndpoint(fn, {
        handler: handle,
        subject: subjects.mode(first.mode, fn),
        queue,
        metadata: { function: fn, mode: first.mode, route: 'queue-group' },
      });
      svc.addEndpoint(`${fn}-on-${device}`, {
        handler: handle,
        subject: subjects.device(first.mode, fn, device),
        queue,
        metadata: { function: fn, mode: first.mode, route: 'device' },
      });
    }
    this.service = svc;
    // Not awaited: stopping drains the old endpoints' subscriptions (a round trip to the server each), and
    // the next placement change must not wait on that. Both sets share queue groups meanwhile, so a
    // request goes to one of them.
    if (old) void old.stop().catch(() => undefined);
    for (const u of loaded) this.events.emit(EventKind.ModelLoaded, { function: u.unit, device });
  }

  /** Stops the service (shutdown): requests go to other devices. */
  async stop(): Promise<void> {
    await this.service?.stop().catch(() => undefined);
  }
}
