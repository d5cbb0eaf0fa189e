import type { AssignmentLimits as Assignment, ServingPolicy } from '@epara/policy';
import { DeviceExecutor } from '@epara/core/execution/device-executor';
import type { PendingRequest } from '@epara/core/execution/pending-request';
import { BatchFeedback } from '@epara/core/worker/batch-feedback';
import type { ServingUnit } from '@epara/core/worker/serving-unit';
import type { LoadedUnit, WantedUnit } from '@epara/core/worker/types';
import { UnitLifecycle } from '@epara/core/worker/unit-lifecycle';
import { WorkerReconciler } from '@epara/core/worker/worker-reconciler';
import { DeviceSpec } from '@epara/workload';
import { EventQueue } from './event-queue';
import { SimFunction } from './sim-function';
import { RateTracker } from '@epara/core/scheduler/rate-tracker';
import { SimRequest } from './sim-request';
import { SyncCompletion, VirtualClock, VirtualTimers } from './virtual-time';

export const EV_RUN_DONE = 4;
export const EV_LOAD_DONE = 7;

/** What a simulated worker needs from the simulation around it. */
export interface WorkerHost {
  readonly clock: VirtualClock;
  readonly queue: EventQueue;
  readonly timers: VirtualTimers;
  readonly policy: ServingPolicy;
  readonly fns: readonly SimFunction[];
  readonly maxQueue: number;
  /** Multiplicative noise on one run's execution time of function `fnIndex` (1 when the workload has none). */
  execNoise(fnIndex: number): number;
  /** A request finished with a result at `nowMs` (on the worker). */
  complete(r: SimRequest, nowMs: number): void;
  /** A model finished loading and the function serves here now. */
  onModelLoaded(device: number, fn: number): void;
  /** The function stopped (false) or started (true) serving on the device: NATS subscriptions changed. */
  onServingChanged(device: number, fn: number, serving: boolean): void;
  countBatch(size: number): void;
}

/** A function the placement asks of this device, with its index among the workload's functions. */
interface SimWanted extends WantedUnit {
  readonly fnIndex: number;
}

/** A function loaded on a simulated device: its "model" is the SimFunction and its profile. */
type SimUnit = ServingUnit<SimWanted, SimFunction>;

/** One batch in flight on the device. */
export class RunningBatch {
  constructor(
    readonly worker: SimWorker,
    readonly unit: SimUnit,
    readonly batch: PendingRequest[],
    readonly execMs: number,
    readonly done: SyncCompletion<void>,
  ) {}
}

/**
 * One simulated worker (one device): the real DeviceExecutor, WorkerReconciler and BatchFeedback in
 * virtual time. Only the model is fake: a load takes the profile's `loadMs`, a batch its profile
 * time on this device (× noise), and the subscriptions the gateway routes by follow the units'
 * lifecycle. It also keeps the state it reports in heartbeats.
 */
export class SimWorker {
  readonly executor: DeviceExecutor;
  /** Ready functions by index, in the order they became ready. */
  readonly placed = new Map<number, SimUnit>();
  /** fn → 1 while it is in `placed` (the per-request `serves` check, without a Map lookup). */
  private readonly placedFlag: Uint8Array;
  /** The latest placement for this device: fn → assignment. */
  private wanted = new Map<number, Assignment>();
  private readonly reconciler: WorkerReconciler<SimWanted, SimFunction>;
  private readonly feedback: BatchFeedback<SimWanted, SimFunction>;
  /** The model load in progress (the reconciler loads one at a time). */
  private loading?: { fn: SimFunction; done: SyncCompletion<LoadedUnit<SimFunction>> };
  private readonly scaledProfiles = new Map<number, Record<string, number>>();

  // Last heartbeat, as gateways see it (device totals and per function).
  hbAtMs = -Infinity;
  /** Heartbeats sent so far (lets the gateway skip copying an unchanged one). */
  hbCount = 0;
  hbQueued = 0;
  hbRunning = 0;
  readonly hbFnQueued: Float64Array;
  readonly hbExec1: Float64Array;
  readonly hbPreferred: Float64Array;
  readonly hbReady: Uint8Array;
  private hbReadyList: number[] = [];
  joined = false;

  constructor(
    readonly index: number,
    readonly spec: DeviceSpec,
    private readonly host: WorkerHost,
    concurrency = 1,
  ) {
    this.executor = new DeviceExecutor(concurrency, host.maxQueue, host.clock, host.timers);
    const n = host.fns.length;
    this.placedFlag = new Uint8Array(n);
    this.hbFnQueued = new Float64Array(n);
    this.hbExec1 = new Float64Array(n);
    this.hbPreferred = new Float64Array(n).fill(1);
    this.hbReady = new Uint8Array(n);
    this.feedback = new BatchFeedback<SimWanted, SimFunction>(host.policy.batching, this.executor, {
      observeBatch: (_unit, _execMs, size) => host.countBatch(size),
    });
    this.reconciler = new WorkerReconciler<SimWanted, SimFunction>({
      device: spec.id,
      desired: { wanted: () => this.wantedUnits() },
      host: {
        load: (w) => this.load(w),
        serve: (u) => (batch) => this.runBatch(u, batch),
        unload: () => undefined,
      },
      executor: this.executor,
      feedback: this.feedback,
      // The gateway sees a function served from when it is ready until it drains (`changed` below).
      publisher: { publish: () => undefined },
      timers: host.timers,
      lifecycle: { changed: (_unit, state, u) => u && this.lifecycleChanged(u, state) },
    });
  }

  get id(): string {
    return this.spec.id;
  }

  /** Serves `fn` now: placed, loaded and subscribed. */
  serves(fn: number): boolean {
    return this.placedFlag[fn] === 1;
  }

  /** A request for `fn` reached this device (answered or not): the demand its heartbeats report. */
  received(fn: number): void {
    const u = this.placed.get(fn);
    if (u) u.received++;
  }

  // --- placement ------------------------------------------------------------------------------

  /** This device's key in the placement changed. */
  reconcile(assignments: Map<number, Assignment>): void {
    this.wanted = assignments;
    this.reconciler.reconcile();
  }

  private wantedUnits(): SimWanted[] {
    const out: SimWanted[] = [];
    for (const [f, assignment] of this.wanted) {
      const fn = this.host.fns[f];
      out.push({ unit: fn.name, modelId: fn.record.model.sha256, assignment, record: fn.record, fnIndex: f });
    }
    return out;
  }

  /** Starts a simulated model load: it takes the profile's load time (EV_LOAD_DONE). */
  private load(w: SimWanted): PromiseLike<LoadedUnit<SimFunction>> {
    const fn = this.host.fns[w.fnIndex];
    const done = new SyncCompletion<LoadedUnit<SimFunction>>();
    this.loading = { fn, done };
    this.host.queue.push(this.host.clock.now + fn.spec.profile.loadMs, EV_LOAD_DONE, this);
    return done as unknown as PromiseLike<LoadedUnit<SimFunction>>;
  }

  /** The model load in progress finished: the reconciler goes on within this event. */
  onLoadDone(): void {
    const { fn, done } = this.loading!;
    this.loading = undefined;
    done.resolve({
      model: fn,
      memoryBytes: 0,
      loadMs: fn.spec.profile.loadMs,
      batchable: fn.spec.batchable,
      execMsByBatch: this.profileHere(fn.index),
      needsProfile: false,
    });
  }

  private lifecycleChanged(u: SimUnit, state: UnitLifecycle): void {
    const f = u.wanted.fnIndex;
    if (state === UnitLifecycle.Ready) {
      this.placed.set(f, u);
      this.placedFlag[f] = 1;
      this.host.onServingChanged(this.index, f, true);
      this.host.onModelLoaded(this.index, f);
    } else if (state === UnitLifecycle.Draining) {
      this.placed.delete(f);
      this.placedFlag[f] = 0;
      this.host.onServingChanged(this.index, f, false);
    }
  }

  /** The profile this device class measures: the reference profile divided by computeScale. */
  private profileHere(f: number): Record<string, number> {
    let p = this.scaledProfiles.get(f);
    if (!p) {
      p = {};
      const scale = this.spec.computeScale;
      for (const [b, ms] of Object.entries(this.host.fns[f].spec.profile.execMsByBatch)) p[b] = ms / scale;
      this.scaledProfiles.set(f, p);
    }
    return p;
  }

  // --- batching -------------------------------------------------------------------------------

  /** The worker's periodic retune (it runs on the heartbeat timer): batch limits follow the estimates. */
  retuneAll(): void {
    this.feedback.retuneChanged(this.placed.values());
  }

  /** The executor runs a batch: it takes the profile's time for its size on this device (× noise). */
  private runBatch(u: SimUnit, batch: PendingRequest[]): Promise<void> {
    const fn = u.model;
    const execMs = (fn.execMs(batch.length) / this.spec.computeScale) * this.host.execNoise(fn.index);
    const done = new SyncCompletion<void>();
    this.host.queue.push(this.host.clock.now + execMs, EV_RUN_DONE, new RunningBatch(this, u, batch, execMs, done));
    return done as unknown as Promise<void>;
  }

  /** A batch finished: the feedback learns from it, its requests are answered, the executor pumps. */
  onRunDone(b: RunningBatch): void {
    const u = b.unit;
    const n = b.batch.length;
    this.feedback.afterRun(u, b.batch, n, b.execMs);
    const now = this.host.clock.now;
    for (let i = 0; i < n; i++) this.host.complete(b.batch[i] as SimRequest, now);
    const name = u.unit;
    if (this.checksLeft > 0 && this.executor.has(name)) {
      // The executor must finish its bookkeeping inside this event (SyncCompletion), or the device
      // would look busy until some later event: check it on the first runs of each device.
      this.checksLeft--;
      const before = this.executor.completedOf(name);
      b.done.resolve();
      if (this.executor.completedOf(name) !== before + n) {
        throw new Error(
          'simulator: the DeviceExecutor did not settle a run synchronously (does it await the run now?); the simulator must drain microtasks after each completion',
        );
      }
      return;
    }
    b.done.resolve();
  }

  private checksLeft = 3;

  // --- heartbeat ------------------------------------------------------------------------------

  /**
   * The heartbeat timer: the periodic retune, then the state this worker reports (device totals and,
   * per ready function, its queue, batch-1 estimate and preferred batch size). `withFunctions` false
   * skips the per-function part when nobody reads it (queue-group routing). With `rates`, each placed
   * function's `received` counter (its demand, as a live worker reports it) goes to the scheduler's rate
   * tracker in the same pass.
   */
  heartbeat(nowMs: number, withFunctions: boolean, rates?: RateTracker): void {
    this.retuneAll();
    this.hbAtMs = nowMs;
    this.hbCount++;
    this.hbQueued = this.executor.queued;
    this.hbRunning = this.executor.running;
    if (withFunctions) {
      for (const f of this.hbReadyList) this.hbReady[f] = 0;
      this.hbReadyList.length = 0;
    } else if (!rates) {
      return;
    }
    for (const [f, u] of this.placed) {
      if (rates) rates.observe(this.id, u.unit, u.received, nowMs);
      if (!withFunctions) continue;
      this.hbReady[f] = 1;
      this.hbReadyList.push(f);
      this.hbFnQueued[f] = this.executor.queuedOf(u.unit);
      this.hbExec1[f] = u.estimator.execMs(1);
      this.hbPreferred[f] = u.batching.preferredBatchSize;
    }
  }
}
