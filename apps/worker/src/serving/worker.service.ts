import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { KV, Service } from 'nats';
import {
  Assignment,
  Bucket,
  DevicePlacement,
  EparaError,
  EventKind,
  FunctionLoad,
  FunctionKind,
  FunctionRecord,
  functionQueue,
  Header,
  Mode,
  ModelInfo,
  PreparedRequest,
  Profile,
  subjects,
  unitKey,
} from '@epara/contracts';
import { KvMirror, NatsClient, respondError } from '@epara/nats';
import { AdaptiveExecEstimator, batchingFor, nextAimdBatchSize } from '@epara/policy';
import { hasGuessedDims, measureExecTimes } from '@epara/runtime';
import { WORKER_CONFIG, WorkerConfig } from '../config';
import { DeviceExecutor, FunctionBatching, PendingRequest } from '@epara/core';
import { ModelManager } from '../models/model-manager';
import { WorkerMetrics } from '../state/worker-metrics';
import { GenerationServer } from './generation-server';
import { RequestHandler, ServedFunction } from './request-handler';

export const WORKER_VERSION = '0.1.0';

interface Placed extends ServedFunction {
  assignment: Assignment;
  /** Current AIMD batch size (the `adaptive-batch` baseline). */
  aimdBatchSize: number;
  /** Synthetic inputs could not profile it: the first real request will serve as the sample. */
  needsProfile: boolean;
  loadMs: number;
  estimator: AdaptiveExecEstimator;
  memoryBytes: number;
}

/** A placement change (loads, endpoints) this long is worth a warning: the changes after it wait. */
const SLOW_RECONCILE_MS = 30_000;
/** Wait before loading again what failed to load (the model fetch timed out, the store was busy), ms. */
const LOAD_RETRY_MS = 2_000;
/** How long a removed function may take to finish its queue before it is unloaded anyway, ms. */
const DRAIN_TIMEOUT_MS = 10_000;

/**
 * The worker's control loop: reconciles what runs here with this device's key in `epara_placement`
 * (load and warm a model before subscribing; stop taking requests, drain, then unload), registers the
 * device as a NATS service whose endpoints are its functions, and runs batches.
 */
@Injectable()
export class WorkerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerService.name);
  readonly executor: DeviceExecutor;
  private readonly handler: RequestHandler;
  private readonly generation: GenerationServer;
  private readonly placed = new Map<string, Placed>();
  private functions!: KvMirror<FunctionRecord>;
  private placement!: KvMirror<DevicePlacement>;
  private functionsKv!: KV;
  private service?: Service;
  private reconciling: Promise<void> = Promise.resolve();
  /** What the reconcile in progress is doing, for the operator when it takes long. */
  private reconcileStep = '';
  private loadRetry?: NodeJS.Timeout;
  private stopping = false;
  /** The provider sessions actually run on, and why it differs from the configured one. */
  provider: string;
  providerNote?: string;

  constructor(
    private readonly nats: NatsClient,
    private readonly models: ModelManager,
    readonly metrics: WorkerMetrics,
    @Inject(WORKER_CONFIG) readonly config: WorkerConfig,
  ) {
    this.executor = new DeviceExecutor(config.concurrency, config.maxQueue);
    this.handler = new RequestHandler(config.device, this.executor, metrics, nats.payloads);
    this.generation = new GenerationServer(config.device, metrics);
    this.provider = config.provider;
  }

  /** Devices of one class share profiles: same provider, same thread count. */
  get deviceClass(): string {
    return `${this.config.provider}-t${this.config.threads}`;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.functionsKv = await this.nats.kv(Bucket.Functions);
    this.functions = await new KvMirror<FunctionRecord>(this.functionsKv).start();
    this.placement = await new KvMirror<DevicePlacement>(await this.nats.kv(Bucket.Placement), this.config.device).start();
    this.placement.onChange(() => this.scheduleReconcile());
    // A client that left (HTTP stream closed) asks to stop its generation: tokens nobody reads cost capacity.
    this.nats.nc.subscribe(subjects.cancel(this.config.device), {
      callback: (err, msg) => {
        if (err) return;
        try {
          const { requestId } = JSON.parse(Buffer.from(msg.data).toString('utf8')) as { requestId?: string };
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
      if (wanted || [...this.placed.values()].some((p) => p.record.name === c.key)) this.scheduleReconcile();
    });
    await this.publishService();
    this.scheduleReconcile();
  }

  private scheduleReconcile(): void {
    this.reconciling = this.reconciling
      .then(async () => {
        // Reconciles run one at a time: say so when one holds the rest (a stalled fetch or thread shows here).
        const slow = setTimeout(() => this.logger.warn(`a placement change has been in progress for ${SLOW_RECONCILE_MS / 1000} s (${this.reconcileStep}); later changes wait for it`), SLOW_RECONCILE_MS);
        try {
          await this.reconcile();
        } finally {
          clearTimeout(slow);
        }
      })
      .catch((e) => this.logger.error(`reconcile failed: ${(e as Error).stack}`));
  }

  /** Waits for the reconcile in progress (tests, shutdown). */
  settled(): Promise<void> {
    return this.reconciling;
  }

  /** The sha256 an assignment asks for, checked against the record (a stage's own model for `pp`). */
  private static modelOf(record: FunctionRecord, a: Assignment): ModelInfo | undefined {
    if (a.stage === undefined) return record.model.sha256 === a.sha256 ? record.model : undefined;
    const st = record.model.stages?.[a.stage];
    if (!st || st.sha256 !== a.sha256) return undefined;
    return { sha256: st.sha256, sizeBytes: st.sizeBytes, format: 'onnx', inputs: st.inputs, outputs: st.outputs, batchable: st.batchable, source: `stage ${a.stage} of ${record.name}` };
  }

  private async reconcile(): Promise<void> {
    if (this.stopping) return;
    this.reconcileStep = 'unloading what is no longer placed here';
    const wanted = new Map((this.placement.get(this.config.device)?.assignments ?? []).map((a) => [unitKey(a.fn, a.stage), a]));
    let endpointsChanged = false;
    for (const [unit, p] of this.placed) {
      const a = wanted.get(unit);
      if (!a || a.sha256 !== p.assignment.sha256 || !this.functions.get(a.fn)) {
        this.placed.delete(unit);
        endpointsChanged = true;
        void this.retire(unit, p);
      }
    }
    const added: string[] = [];
    for (const [unit, a] of wanted) {
      const record = this.functions.get(a.fn);
      const info = record && WorkerService.modelOf(record, a);
      if (!record || !info) continue;
      const current = this.placed.get(unit);
      if (current) {
        if (current.mode !== a.mode) endpointsChanged = true;
        current.record = record;
        current.mode = a.mode;
        current.assignment = a;
        this.executor.retune(unit, this.batchingFor(current));
        continue;
      }
      this.reconcileStep = `loading ${unit}`;
      try {
        await this.load(unit, record, info, a);
        added.push(unit);
        endpointsChanged = true;
      } catch (e) {
        // Placement will not change by itself to ask again: retry until it loads or is placed elsewhere.
        this.logger.error(`cannot load ${unit} on ${this.config.device}: ${(e as Error).message}; retrying in ${LOAD_RETRY_MS / 1000} s`);
        this.loadRetry ??= setTimeout(() => {
          this.loadRetry = undefined;
          this.scheduleReconcile();
        }, LOAD_RETRY_MS);
      }
    }
    this.reconcileStep = 'publishing the service endpoints';
    if (endpointsChanged) await this.publishService();
    for (const unit of added) this.announce(EventKind.ModelLoaded, { function: unit, device: this.config.device });
  }

  private batchingFor(p: Pick<Placed, 'record' | 'assignment' | 'estimator' | 'mode' | 'model' | 'aimdBatchSize'>): FunctionBatching {
    return batchingFor(this.config.batchingOff ? 'off' : this.config.policy.batching, {
      mode: p.mode,
      sloMs: p.record.slo.latencyMs,
      batchable: p.model.info.batchable,
      assignment: p.assignment,
      estimator: p.estimator,
      aimdBatchSize: p.aimdBatchSize,
    });
  }

  private async load(unit: string, record: FunctionRecord, info: ModelInfo, assignment: Assignment): Promise<void> {
    const { model, loadMs, memoryBytes } = await this.models.load(record, info);
    if (model.providerNote) this.providerNote = model.providerNote;
    this.provider = model.provider;
    let profile: Profile | undefined = record.profiles[this.deviceClass];
    // Stages are not profiled into the record: its profile describes the whole model.
    const generative = record.kind === FunctionKind.TextGeneration;
    const profilable = this.config.profile && assignment.stage === undefined && !generative;
    // A tensor model with dynamic sizes besides the batch would be timed on a guessed (1-sized) input:
    // its first real request is the sample instead (`needsProfile`).
    const guessed = record.kind === FunctionKind.Tensor && hasGuessedDims(model.info);
    if (!profile && profilable && !guessed) profile = await this.profile(record, model, loadMs, memoryBytes, model.kind.sample(model.info));
    const estimator = new AdaptiveExecEstimator(profile?.execMsByBatch);
    const placed: Placed = { unit, received: 0, record, mode: assignment.mode, model, assignment, estimator, memoryBytes, aimdBatchSize: 1, needsProfile: !profile && profilable, loadMs };
    if (generative) this.generation.attach(placed);
    else
      this.executor.register(unit, {
        batching: this.batchingFor(placed),
        estimator,
        run: (batch) => this.runBatch(placed, batch),
      });
    this.placed.set(unit, placed);
    this.logger.log(`loaded ${unit} on ${this.config.device} (${model.provider}) in ${loadMs.toFixed(0)} ms, mode ${assignment.mode}`);
  }

  /** Measures exec time per batch size and stores it in the function record for this device class. */
  private async profile(record: FunctionRecord, model: ServedFunction['model'], loadMs: number, memoryBytes: number, sample: PreparedRequest): Promise<Profile | undefined> {
    try {
      const execMsByBatch = await measureExecTimes(model, sample);
      const profile: Profile = {
        deviceClass: this.deviceClass,
        execMsByBatch,
        memoryBytes,
        loadMs: Math.round(loadMs),
        shapeClass: sample.inputs[0]?.shape.slice(1).join('x') ?? '',
        measuredAt: Date.now(),
        device: this.config.device,
      };
      await this.saveProfile(record.name, profile);
      this.announce(EventKind.Profiled, { function: record.name, device: this.config.device, profile });
      this.logger.log(`profiled ${record.name} on ${this.deviceClass}: ${JSON.stringify(execMsByBatch)} ms per batch size`);
      return profile;
    } catch (e) {
      this.logger.warn(`could not profile ${record.name} with ${sample.groupKey === 'sample' ? 'synthetic inputs' : 'a live request'} (${(e as Error).message.split('\n')[0]}); ${sample.groupKey === 'sample' ? 'the first live request will be the sample' : 'batch times are learned from live requests'}`);
      return undefined;
    }
  }

  private async saveProfile(fn: string, profile: Profile): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const e = await this.functionsKv.get(fn);
      if (!e || e.operation !== 'PUT') return;
      const record = JSON.parse(Buffer.from(e.value).toString('utf8')) as FunctionRecord;
      record.profiles = { ...record.profiles, [profile.deviceClass]: profile };
      record.updatedAt = Date.now();
      try {
        await this.functionsKv.update(fn, Buffer.from(JSON.stringify(record)), e.revision);
        return;
      } catch {
        /* someone else updated the record meanwhile: read again */
      }
    }
    this.logger.warn(`gave up storing the profile of ${fn} after 5 conflicting updates`);
  }

  private async runBatch(p: Placed, batch: PendingRequest[]): Promise<void> {
    const start = Date.now();
    const t0 = performance.now();
    let outputs;
    try {
      outputs = await p.model.run(batch.map((r) => r.prepared));
    } catch (e) {
      const err = e instanceof EparaError ? e : new EparaError(500, `model run failed: ${(e as Error).message?.split('\n')[0]}`);
      for (const r of batch) r.settle({ error: err });
      return;
    }
    const execMs = performance.now() - t0;
    const items = batch.reduce((n, r) => n + r.prepared.items, 0);
    p.estimator.observe(items, execMs);
    if (this.config.policy.batching === 'aimd' && p.model.info.batchable) {
      p.aimdBatchSize = nextAimdBatchSize(p.aimdBatchSize, execMs, p.record.slo.latencyMs);
      this.executor.retune(p.unit, this.batchingFor(p));
    }
    if (p.needsProfile) {
      // Synthetic inputs did not fit the model (e.g. Silero needs real frame lengths): profile with this one.
      p.needsProfile = false;
      const sample = { ...batch[0].prepared, items: 1 };
      setImmediate(() => {
        this.profile(p.record, p.model, p.loadMs, p.memoryBytes, sample)
          .then((profile) => profile && Object.entries(profile.execMsByBatch).forEach(([b, ms]) => p.estimator.observe(Number(b), ms)))
          .catch(() => undefined);
      });
    }
    const fn = p.unit;
    this.metrics.execTime.observe({ function: fn }, execMs / 1000);
    this.metrics.batchSize.observe({ function: fn }, batch.length);
    for (let i = 0; i < batch.length; i++) {
      const r = batch[i];
      const served = { batchSize: batch.length, queueMs: Math.max(0, start - r.arrivalMs), execMs };
      try {
        const result = await p.model.kind.finish(outputs[i], r.prepared);
        r.settle({ result, served });
      } catch (e) {
        r.settle({ error: e instanceof EparaError ? e : new EparaError(500, `post-processing failed: ${(e as Error).message}`), served });
      }
    }
  }

  /** Stops taking requests for a function, lets its queue finish, then unloads it. */
  private async retire(fn: string, p: Placed): Promise<void> {
    const until = Date.now() + DRAIN_TIMEOUT_MS;
    while (Date.now() < until) {
      const l = this.executor.load(fn);
      if (l.queued === 0 && l.running === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    if (!this.placed.has(fn)) await this.generation.detach(fn);
    if (!this.placed.has(fn)) this.executor.unregister(fn, EparaError.noCapacity(`function "${fn}" was moved off device ${this.config.device}; retry`));
    await p.model.release().catch(() => undefined);
    this.logger.log(`unloaded ${fn} from ${this.config.device}`);
  }

  /**
   * Re-registers the NATS service with one endpoint pair per function: `epara.v1.<mode>.<fn>` and
   * `epara.v1.<mode>.<fn>.<device>`, both in queue group `epara.<fn>`. The new service starts before the
   * old one stops, and both subjects share the queue group, so no request is lost or answered twice.
   */
  private async publishService(): Promise<void> {
    const old = this.service;
    const units = [...this.placed.values()].sort((a, b) => a.unit.localeCompare(b.unit));
    const fns = [...new Set(units.map((p) => p.record.name))];
    const svc = await this.nats.nc.services.add({
      name: 'epara-worker',
      version: WORKER_VERSION,
      description: `Epara worker for device ${this.config.device}`,
      metadata: { device: this.config.device, slot: this.config.slot, host: this.config.host, provider: this.provider, functions: units.map((p) => p.unit).join(',') },
      statsHandler: async () => this.stats(),
    });
    for (const fn of fns) {
      const first = units.find((p) => p.record.name === fn)!;
      const queue = functionQueue(fn);
      if (first.mode === Mode.Pp) {
        // One subject per (function, device) whatever stages live here; `Epara-Stage` picks the stage.
        const handle = (err: Error | null, msg: Parameters<RequestHandler['handle']>[0]) => {
          if (err) return;
          const unit = unitKey(fn, Number(msg.headers?.get(Header.Stage) ?? 0));
          const current = this.placed.get(unit);
          if (!current) return void respondError(msg, EparaError.noCapacity(`stage ${unit} is not on ${this.config.device}`));
          this.handler.handle(msg, current);
        };
        svc.addEndpoint(`${fn}-stages-on-${this.config.device}`, { handler: handle, subject: subjects.device(Mode.Pp, fn, this.config.device), queue, metadata: { function: fn, mode: Mode.Pp, route: 'device' } });
        continue;
      }
      const handle = (err: Error | null, msg: Parameters<RequestHandler['handle']>[0]) => {
        if (err) return;
        const current = this.placed.get(fn);
        if (!current) return void respondError(msg, EparaError.noCapacity(`function "${fn}" is no longer on ${this.config.device}; retry`));
        if (current.record.kind === FunctionKind.TextGeneration) this.generation.handle(msg, current);
        else this.handler.handle(msg, current);
      };
      svc.addEndpoint(fn, { handler: handle, subject: subjects.mode(first.mode, fn), queue, metadata: { function: fn, mode: first.mode, route: 'queue-group' } });
      svc.addEndpoint(`${fn}-on-${this.config.device}`, { handler: handle, subject: subjects.device(first.mode, fn, this.config.device), queue, metadata: { function: fn, mode: first.mode, route: 'device' } });
    }
    this.service = svc;
    // Not awaited: stopping drains the old endpoints' subscriptions (a round trip to the server each), and
    // the next placement change must not wait on that. Both sets share queue groups meanwhile, so a
    // request goes to one of them.
    if (old) void old.stop().catch(() => undefined);
  }

  private stats() {
    return { device: this.config.device, queued: this.executor.queued, running: this.executor.running, functions: this.functionLoads() };
  }

  functionLoads(): FunctionLoad[] {
    return [...this.placed.values()].map((p) => {
      const l = p.record.kind === FunctionKind.TextGeneration ? { ...this.executor.load(p.unit), ...this.generation.load(p.unit) } : this.executor.load(p.unit);
      return { fn: p.unit, mode: p.mode, queued: l.queued, running: l.running, completed: l.completed, received: p.received, execMsEwma: p.estimator.execMs(1), preferredBatchSize: this.executor.batching(p.unit)?.preferredBatchSize ?? 1, ready: true };
    });
  }

  /** Memory the loaded models take, bytes. */
  usedMemoryBytes(): number {
    let n = 0;
    for (const p of this.placed.values()) n += p.memoryBytes;
    return n;
  }

  /** Adapts batch limits to measured times (called every heartbeat). */
  retuneAll(): void {
    for (const [fn, p] of this.placed) this.executor.retune(fn, this.batchingFor(p));
  }

  placedFunctions(): string[] {
    return [...this.placed.keys()];
  }

  private announce(kind: EventKind, data: Record<string, unknown>): void {
    this.nats.nc.publish(subjects.event(kind), Buffer.from(JSON.stringify({ kind, at: Date.now(), ...data })));
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.loadRetry);
    await this.service?.stop().catch(() => undefined);
    const until = Date.now() + 5_000;
    while (this.executor.queued + this.executor.running > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    this.executor.stop(EparaError.noCapacity(`worker ${this.config.device} is shutting down; retry`));
    this.functions?.stop();
    this.placement?.stop();
    await Promise.all([...this.placed.values()].map((p) => p.model.release().catch(() => undefined)));
  }
}
