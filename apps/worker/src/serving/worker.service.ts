import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import {
  Assignment,
  Bucket,
  DevicePlacement,
  EparaError,
  EventKind,
  EventPublisher,
  FunctionKind,
  FunctionLoad,
  FunctionRecord,
  ModelInfo,
  subjects,
  unitKey,
} from '@epara/contracts';
import {
  BatchFeedback,
  DeviceExecutor,
  realTimers,
  SLOW_RECONCILE_MS,
  takesRequests,
  UnitLifecycle,
  UnitState,
  WorkerReconciler,
} from '@epara/core';
import { decodeJson, EVENT_PUBLISHER, FunctionRepository, KvMirror, NatsClient } from '@epara/nats';
import type { LoadedModel } from '@epara/runtime';
import { WORKER_CONFIG, WorkerConfig } from '../config';
import { ModelManager } from '../models/model-manager';
import { WorkerMetrics } from '../state/worker-metrics';
import { GenerationServer } from './generation-server';
import { RequestHandler } from './request-handler';
import { VadStreamServer } from './vad-stream-server';
import { WorkerEndpoints } from './worker-endpoints';
import { WorkerModelHost } from './worker-model-host';
import { WorkerProfiler } from './worker-profiler';
import type { WorkerUnit, WorkerWanted } from './worker-unit';

export { WORKER_VERSION } from './worker-endpoints';

/**
 * The worker's wiring: the core WorkerReconciler reconciles what runs here with this device's key in
 * `epara_placement` (and the records in `epara_functions`), loading through ModelManager and
 * publishing the device's NATS service; BatchFeedback adapts batching after each run. This class
 * binds their ports and answers what heartbeats and tests read.
 */
@Injectable()
export class WorkerService implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerService.name);
  readonly executor: DeviceExecutor;
  private readonly handler: RequestHandler;
  private readonly generation: GenerationServer;
  private readonly vad: VadStreamServer;
  private readonly feedback: BatchFeedback<WorkerWanted, LoadedModel>;
  private readonly reconciler: WorkerReconciler<WorkerWanted, LoadedModel>;
  private host!: WorkerModelHost;
  private endpoints!: WorkerEndpoints;
  private functions!: KvMirror<FunctionRecord>;
  private placement!: KvMirror<DevicePlacement>;
  private profiler!: WorkerProfiler;

  constructor(
    private readonly nats: NatsClient,
    private readonly models: ModelManager,
    readonly metrics: WorkerMetrics,
    @Inject(WORKER_CONFIG) readonly config: WorkerConfig,
    @Inject(EVENT_PUBLISHER) private readonly events: EventPublisher,
  ) {
    this.executor = new DeviceExecutor(config.concurrency, config.maxQueue);
    this.handler = new RequestHandler(config.device, this.executor, metrics, nats.payloads);
    this.generation = new GenerationServer(config.device, metrics);
    this.feedback = new BatchFeedback<WorkerWanted, LoadedModel>(
      config.batchingOff ? 'off' : config.policy.batching,
      this.executor,
      {
        observeBatch: (unit, execMs, batchSize) => {
          const m = this.metrics.forUnit(unit);
          m.execTime.observe(execMs / 1000);
          m.batchSize.observe(batchSize);
        },
      },
      { profileWith: (u, sample) => this.profiler.profileWith(u, sample) },
    );
    this.vad = new VadStreamServer(config.device, metrics, nats.payloads, this.feedback, config.streamIdleMs, config.maxQueue);
    this.reconciler = new WorkerReconciler<WorkerWanted, LoadedModel>({
      device: config.device,
      desired: { wanted: () => this.wantedUnits() },
      host: { load: (w) => this.host.load(w), serve: (u) => this.host.serve(u), unload: (u, reloaded) => this.unload(u, reloaded) },
      executor: this.executor,
      feedback: this.feedback,
      publisher: { publish: (serving, loaded) => this.endpoints.publish(serving, loaded) },
      timers: realTimers,
      log: { info: (m) => this.logger.log(m), warn: (m) => this.logger.warn(m), error: (m) => this.logger.error(m) },
      lifecycle: {
        changed: () => undefined, // heartbeats and service metadata read the states when they are sent
        loadFailed: (unit, reason, attempts, retryInMs) =>
          this.events.emit(EventKind.ModelFailed, {
            function: unit,
            device: config.device,
            reason,
            attempts,
            ...(retryInMs === undefined ? {} : { retryInMs }),
          }),
      },
      slowPassWarnMs: SLOW_RECONCILE_MS,
    });
  }

  private async unload(u: WorkerUnit, reloaded: boolean): Promise<void> {
    await this.host.unload(u, reloaded);
    if (!reloaded)
      await this.metrics
        .forget(u.unit)
        .catch((e) => this.logger.warn(`could not remove the metrics of ${u.unit}: ${(e as Error).message}`));
  }

  /** Devices of one class share profiles: same provider, same thread count. */
  get deviceClass(): string {
    return `${this.config.provider}-t${this.config.threads}`;
  }

  /** The provider sessions actually run on (the configured one until a model loaded). */
  get provider(): string {
    return this.host?.provider ?? this.config.provider;
  }

  /** Why the provider differs from the configured one. */
  get providerNote(): string | undefined {
    return this.host?.providerNote;
  }

  /**
   * Gateways and the scheduler probe this to notice within a fraction of a second that this worker is
   * gone. Subscribed at module init, before the first heartbeat announces the device (a probe of a
   * device that heartbeats but does not answer yet would count against it).
   */
  onModuleInit(): void {
    this.nats.nc.subscribe(subjects.live(this.config.device), {
      callback: (err, msg) => {
        if (!err) msg.respond();
      },
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    const functionsKv = await this.nats.kv(Bucket.Functions);
    this.profiler = new WorkerProfiler(this.config.device, this.deviceClass, new FunctionRepository(functionsKv), this.events);
    this.host = new WorkerModelHost(
      this.config.device,
      this.deviceClass,
      this.config.provider,
      this.config.profile,
      this.models,
      this.profiler,
      this.generation,
      this.vad,
      this.feedback,
    );
    this.endpoints = new WorkerEndpoints(this.nats, this.events, this.handler, this.generation, this.vad, {
      device: this.config.device,
      slot: this.config.slot,
      host: this.config.host,
      provider: () => this.provider,
      unit: (unit) => this.reconciler.unit(unit),
      states: () => this.reconciler.states(),
      stats: () => this.stats(),
    });
    this.functions = await new KvMirror<FunctionRecord>(functionsKv).start();
    this.placement = await new KvMirror<DevicePlacement>(await this.nats.kv(Bucket.Placement), this.config.device).start();
    this.placement.onChange(() => this.reconciler.reconcile());
    // A client that left (HTTP stream closed) asks to stop its generation: tokens nobody reads cost capacity.
    this.nats.nc.subscribe(subjects.cancel(this.config.device), {
      callback: (err, msg) => {
        if (err) return;
        try {
          const { requestId } = decodeJson<{ requestId?: string }>(msg.data, 'a cancellation');
          if (requestId) this.generation.cancel(requestId);
        } catch {
          /* not a cancellation we understand */
        }
      },
    });
    // A record that changed, or arrived after the placement that names it (the two KV watches are not
    // ordered with each other: a placement can name a function this worker has no record of yet, and
    // reconcile skips it until the record is here).
    this.functions.onChange((c) => {
      const wanted = this.placement.get(this.config.device)?.assignments.some((a) => a.fn === c.key);
      if (wanted || [...this.reconciler.units()].some((u) => u.record.name === c.key)) this.reconciler.reconcile();
    });
    await this.endpoints.publish([], []);
    this.reconciler.reconcile();
  }

  /** Waits for the reconcile in progress (tests, shutdown). */
  settled(): Promise<void> {
    return this.reconciler.settled();
  }

  /** The sha256 an assignment asks for, checked against the record (a stage's own model for `pp`). */
  private static modelOf(record: FunctionRecord, a: Assignment): ModelInfo | undefined {
    if (a.stage === undefined) return record.model.sha256 === a.sha256 ? record.model : undefined;
    const st = record.model.stages?.[a.stage];
    if (!st || st.sha256 !== a.sha256) return undefined;
    return {
      sha256: st.sha256,
      sizeBytes: st.sizeBytes,
      format: 'onnx',
      inputs: st.inputs,
      outputs: st.outputs,
      batchable: st.batchable,
      source: `stage ${a.stage} of ${record.name}`,
    };
  }

  /** This device's assignments whose records (and models) this worker has. */
  private wantedUnits(): WorkerWanted[] {
    const out: WorkerWanted[] = [];
    for (const a of this.placement.get(this.config.device)?.assignments ?? []) {
      const record = this.functions.get(a.fn);
      const info = record && WorkerService.modelOf(record, a);
      if (record && info) out.push({ unit: unitKey(a.fn, a.stage), modelId: a.sha256, assignment: a, record, info });
    }
    return out;
  }

  private stats() {
    return { device: this.config.device, queued: this.executor.queued, running: this.executor.running, functions: this.functionLoads() };
  }

  /**
   * What heartbeats report per unit here: the loads of ready units, then the units still loading, failed
   * or draining with their state (routing takes only `ready` ones; the dashboard shows the rest).
   */
  functionLoads(): FunctionLoad[] {
    const loads: FunctionLoad[] = [];
    for (const u of this.reconciler.units()) {
      const l =
        u.record.kind === FunctionKind.TextGeneration
          ? { ...this.executor.load(u.unit), ...this.generation.load(u.unit) }
          : u.record.kind === FunctionKind.AudioVad
            ? { ...this.executor.load(u.unit), ...this.vad.load(u.unit) }
            : this.executor.load(u.unit);
      loads.push({
        fn: u.unit,
        mode: u.mode,
        queued: l.queued,
        running: l.running,
        completed: l.completed,
        received: u.received,
        shed: u.shed,
        execMsEwma: u.estimator.execMs(1),
        preferredBatchSize: this.executor.batching(u.unit)?.preferredBatchSize ?? 1,
        state: u.state,
        ready: takesRequests(u.state),
      });
    }
    for (const s of this.reconciler.states()) {
      if (takesRequests(s.state)) continue;
      // A draining unit still finishes its queue. The executor counts per unit key, so when its successor
      // is ready under the same key the queue is already in the ready entry and is not counted twice.
      const l = s.state === UnitLifecycle.Draining && !this.reconciler.unit(s.unit) ? this.executor.load(s.unit) : undefined;
      loads.push({
        fn: s.unit,
        mode: s.mode,
        queued: l?.queued ?? 0,
        running: l?.running ?? 0,
        completed: l?.completed ?? 0,
        received: 0,
        shed: 0,
        execMsEwma: 0,
        preferredBatchSize: 1,
        state: s.state,
        ...(s.reason ? { reason: s.reason } : {}),
        ready: false,
      });
    }
    return loads;
  }

  /** Every unit here with its lifecycle state (ready, loading, failed, draining). */
  unitStates(): UnitState[] {
    return this.reconciler.states();
  }

  /** Memory the loaded models take, bytes. */
  usedMemoryBytes(): number {
    let n = 0;
    for (const u of this.reconciler.units()) n += u.memoryBytes;
    return n;
  }

  /** Time the device ran models since the last call, ms: the executor's batches and the VAD steps. */
  takeBusyMs(): number {
    return this.executor.takeBusyMs() + this.vad.takeBusyMs();
  }

  /** The periodic retune: batch limits follow measured times (the heartbeat timer calls it). */
  retuneBatching(): void {
    this.feedback.retuneChanged(this.reconciler.units());
  }

  placedFunctions(): string[] {
    return [...this.reconciler.units()].map((u) => u.unit);
  }

  async onApplicationShutdown(): Promise<void> {
    this.reconciler.stop();
    await this.endpoints?.stop();
    const until = Date.now() + 5_000;
    while (this.executor.queued + this.executor.running > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    await this.vad.drain(until);
    this.executor.stop(EparaError.noCapacity(`worker ${this.config.device} is shutting down; retry`));
    this.functions?.stop();
    this.placement?.stop();
    await Promise.all([...this.reconciler.units()].map((u) => u.model.release().catch(() => undefined)));
  }
}
