import { EparaError } from '@epara/contracts';
import { AdaptiveExecEstimator, ServingPolicy } from '@epara/policy';
import { DeviceExecutor, FunctionBatching } from '@epara/core/execution/device-executor';
import type { PendingRequest } from '@epara/core/execution/pending-request';
import { DeviceSpec } from '../workload';
import { EventQueue } from './event-queue';
import { AssignmentLimits as Assignment, batchingFor, nextAimdBatchSize } from '@epara/policy';
import { sameBatching } from './same-batching';
import { SimFunction } from './sim-function';
import { RateTracker } from '@epara/core/scheduler/rate-tracker';
import { SimRequest } from './sim-request';
import { SyncCompletion, VirtualClock, VirtualTimers } from './virtual-time';

export const EV_RUN_DONE = 4;
export const EV_LOAD_DONE = 7;
export const EV_RETIRE_CHECK = 8;

/** How long a removed function may take to finish its queue before it is unloaded anyway, ms (worker.service.ts). */
const DRAIN_TIMEOUT_MS = 10_000;
/** The worker polls a draining queue this often, ms (worker.service.ts `retire`). */
const DRAIN_POLL_MS = 20;
/** Largest batch size tracked for "new size measured" (estimator snapshots gain keys). */
const MAX_TRACKED_BATCH = 1024;

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

/** A function placed and serving on a device (worker.service.ts `Placed`). */
interface Placed {
  fn: SimFunction;
  mode: Assignment['mode'];
  assignment: Assignment;
  estimator: AdaptiveExecEstimator;
  aimdBatchSize: number;
  batching: FunctionBatching;
  /**
   * Inputs of `batchingFor` changed since `batching` was computed: the assignment (all policies) or
   * the estimator's snapshot (adaptive). AIMD retunes after each run itself. Recomputing with
   * unchanged inputs gives the same limits, so the heartbeat's retune skips clean entries.
   */
  dirty: boolean;
  /** Batch sizes the estimator has a measurement for (its snapshot's keys). */
  measured: Uint8Array;
  run: (batch: PendingRequest[]) => Promise<void>;
}

/** One batch in flight on the device. */
export class RunningBatch {
  constructor(
    readonly worker: SimWorker,
    readonly placed: Placed,
    readonly batch: PendingRequest[],
    readonly execMs: number,
    readonly done: SyncCompletion<void>,
  ) {}
}

export class RetireCheck {
  constructor(
    readonly worker: SimWorker,
    readonly fn: number,
    readonly untilMs: number,
  ) {}
}

/**
 * One simulated worker (one device): the real DeviceExecutor in virtual time, plus the worker
 * service's control loop as the simulator needs it: reconcile with the placement (sequential model
 * loads that take `loadMs`, drain-then-unload), batching per policy (`batchingFor`), AIMD after each
 * run, retune every heartbeat, and the state it reports in heartbeats.
 */
export class SimWorker {
  readonly executor: DeviceExecutor;
  readonly placed = new Map<number, Placed>();
  /** fn → 1 while it is in `placed` (the per-request `serves` check, without a Map lookup). */
  private readonly placedFlag: Uint8Array;
  /** The latest placement for this device: fn → assignment. */
  private wanted = new Map<number, Assignment>();
  private readonly loadQueue: number[] = [];
  private loading = -1;
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
  }

  get id(): string {
    return this.spec.id;
  }

  /** Serves `fn` now: placed, loaded and subscribed. */
  serves(fn: number): boolean {
    return this.placedFlag[fn] === 1;
  }

  // --- placement ------------------------------------------------------------------------------

  /** Applies this device's new placement (worker.service.ts `reconcile`). */
  reconcile(assignments: Map<number, Assignment>): void {
    this.wanted = assignments;
    for (const [f] of this.placed) if (!assignments.has(f)) this.retire(f);
    for (const [f, a] of assignments) {
      const p = this.placed.get(f);
      if (p) {
        // Same assignment object (the scheduler caches them) and nothing pending: recomputing the
        // batching would give the limits it already has.
        if (p.assignment === a && p.mode === a.mode && !p.dirty) continue;
        p.mode = a.mode;
        p.assignment = a;
        this.markDirty(p);
        this.retune(p);
      } else if (this.loading !== f && !this.loadQueue.includes(f)) {
        this.loadQueue.push(f);
      }
    }
    this.startNextLoad();
  }

  private startNextLoad(): void {
    while (this.loading < 0 && this.loadQueue.length > 0) {
      const f = this.loadQueue.shift()!;
      if (!this.wanted.has(f) || this.placed.has(f)) continue;
      this.loading = f;
      this.host.queue.push(this.host.clock.now + this.host.fns[f].spec.profile.loadMs, EV_LOAD_DONE, this);
    }
  }

  /** The model load in progress finished. */
  onLoadDone(): void {
    const f = this.loading;
    this.loading = -1;
    const a = this.wanted.get(f);
    if (a && !this.placed.has(f)) {
      this.register(f, a);
      this.host.onModelLoaded(this.index, f);
    }
    this.startNextLoad();
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

  private register(f: number, a: Assignment): void {
    const fn = this.host.fns[f];
    const seed = this.profileHere(f);
    const measured = new Uint8Array(MAX_TRACKED_BATCH + 1);
    for (const k of Object.keys(seed)) if (Number(k) <= MAX_TRACKED_BATCH) measured[Number(k)] = 1;
    const p: Placed = {
      fn,
      mode: a.mode,
      assignment: a,
      estimator: new AdaptiveExecEstimator(seed),
      aimdBatchSize: 1,
      batching: { maxBatchSize: 1, preferredBatchSize: 1, maxQueueDelayMs: 0 },
      dirty: true,
      measured,
      run: (batch) => this.runBatch(p, batch),
    };
    p.batching = this.batchingOf(p);
    p.dirty = false;
    this.executor.register(fn.name, { batching: p.batching, estimator: p.estimator, run: p.run });
    this.placed.set(f, p);
    this.placedFlag[f] = 1;
    this.host.onServingChanged(this.index, f, true);
  }

  /** Stops taking requests for a function, lets its queue finish, then unloads it (worker.service.ts `retire`). */
  private retire(f: number): void {
    this.placed.delete(f);
    this.placedFlag[f] = 0;
    this.host.onServingChanged(this.index, f, false);
    this.onRetireCheck(new RetireCheck(this, f, this.host.clock.now + DRAIN_TIMEOUT_MS));
  }

  onRetireCheck(c: RetireCheck): void {
    const name = this.host.fns[c.fn].name;
    const l = this.executor.load(name);
    if (l.queued === 0 && l.running === 0 || this.host.clock.now >= c.untilMs) {
      if (!this.placed.has(c.fn)) this.executor.unregister(name, EparaError.noCapacity(`function "${name}" was moved off device ${this.id}; retry`));
      return;
    }
    this.host.queue.push(this.host.clock.now + DRAIN_POLL_MS, EV_RETIRE_CHECK, c);
  }

  // --- batching -------------------------------------------------------------------------------

  private batchingOf(p: Placed): FunctionBatching {
    return batchingFor(this.host.policy.batching, {
      mode: p.mode,
      sloMs: p.fn.spec.sloMs,
      batchable: p.fn.spec.batchable,
      assignment: p.assignment,
      estimator: p.estimator,
      aimdBatchSize: p.aimdBatchSize,
    });
  }

  /** Recomputes the batching limits and retunes the executor when they changed; nothing to do when the inputs did not change. */
  private retune(p: Placed): void {
    if (!p.dirty) return;
    const b = this.batchingOf(p);
    p.dirty = false;
    if (sameBatching(p.batching, b)) return;
    p.batching = b;
    this.executor.retune(p.fn.name, b);
  }

  /** Some placed function is dirty (saves walking all of them every heartbeat when none is). */
  private anyDirty = false;

  private markDirty(p: Placed): void {
    p.dirty = true;
    this.anyDirty = true;
  }

  /** Adapts batch limits to measured times (worker.service.ts `retuneAll`, every heartbeat). */
  retuneAll(): void {
    if (!this.anyDirty) return;
    this.anyDirty = false;
    for (const p of this.placed.values()) this.retune(p);
  }

  /** The executor runs a batch: it takes the profile's time for its size on this device (× noise). */
  private runBatch(p: Placed, batch: PendingRequest[]): Promise<void> {
    const execMs = (p.fn.execMs(batch.length) / this.spec.computeScale) * this.host.execNoise(p.fn.index);
    const done = new SyncCompletion<void>();
    this.host.queue.push(this.host.clock.now + execMs, EV_RUN_DONE, new RunningBatch(this, p, batch, execMs, done));
    return done as unknown as Promise<void>;
  }

  /** A batch finished: learn its time, AIMD step, answer its requests, let the executor pump (worker.service.ts `runBatch`). */
  onRunDone(b: RunningBatch): void {
    const p = b.placed;
    const n = b.batch.length;
    const est = p.estimator;
    if (this.host.policy.batching === 'adaptive') {
      // Mark the batching stale only when the estimator's snapshot actually changes.
      if (n > MAX_TRACKED_BATCH || !p.measured[n]) {
        if (n <= MAX_TRACKED_BATCH) p.measured[n] = 1;
        this.markDirty(p);
        est.observe(n, b.execMs);
      } else {
        const before = est.execMs(n);
        est.observe(n, b.execMs);
        if (est.execMs(n) !== before) this.markDirty(p);
      }
    } else {
      est.observe(n, b.execMs);
    }
    if (this.host.policy.batching === 'aimd' && p.fn.spec.batchable) {
      p.aimdBatchSize = nextAimdBatchSize(p.aimdBatchSize, b.execMs, p.fn.spec.sloMs);
      // The worker retunes after every run; skipping an unchanged retune has the same effect.
      const nb = this.batchingOf(p);
      if (!sameBatching(p.batching, nb) && this.executor.has(p.fn.name)) {
        p.batching = nb;
        this.executor.retune(p.fn.name, nb);
      }
    }
    this.host.countBatch(n);
    const now = this.host.clock.now;
    for (let i = 0; i < n; i++) this.host.complete(b.batch[i] as SimRequest, now);
    if (this.checksLeft > 0 && this.executor.has(p.fn.name)) {
      // The executor must finish its bookkeeping inside this event (SyncCompletion), or the device
      // would look busy until some later event: check it on the first runs of each device.
      this.checksLeft--;
      const before = this.executor.completedOf(p.fn.name);
      b.done.resolve();
      if (this.executor.completedOf(p.fn.name) !== before + n) {
        throw new Error('simulator: the DeviceExecutor did not settle a run synchronously (does it await the run now?); the simulator must drain microtasks after each completion');
      }
      return;
    }
    b.done.resolve();
  }

  private checksLeft = 3;

  // --- heartbeat ------------------------------------------------------------------------------

  /**
   * The state this worker reports every heartbeat (heartbeat.service.ts `state`): device totals and,
   * per placed function, its queue, batch-1 estimate and preferred batch size. `withFunctions` false
   * skips the per-function part when nobody reads it (queue-group routing). With `rates`, each placed
   * function's `completed` counter goes to the scheduler's rate tracker in the same pass.
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
    for (const [f, p] of this.placed) {
      if (rates) rates.observe(this.id, p.fn.name, this.executor.completedOf(p.fn.name), nowMs);
      if (!withFunctions) continue;
      this.hbReady[f] = 1;
      this.hbReadyList.push(f);
      this.hbFnQueued[f] = this.executor.queuedOf(p.fn.name);
      this.hbExec1[f] = p.estimator.execMs(1);
      this.hbPreferred[f] = p.batching.preferredBatchSize;
    }
  }
}
