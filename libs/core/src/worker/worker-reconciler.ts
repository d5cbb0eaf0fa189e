import { EparaError, Mode } from '@epara/contracts';
import type { Timers } from '../ports/clock';
import { BatchFeedback } from './batch-feedback';
import { ServingUnit } from './serving-unit';
import type {
  DesiredUnits,
  EndpointPublisher,
  Eventually,
  LifecycleListener,
  ModelHost,
  UnitExecutor,
  WantedUnit,
  WorkerLog,
} from './types';
import { UnitLifecycle } from './unit-lifecycle';
import { DRAIN_TIMEOUT_MS, LOAD_RETRY_MS, MAX_LOAD_ATTEMPTS } from './worker-timing';

/** What a WorkerReconciler drives, and how long it waits. */
export interface WorkerReconcilerPorts<W extends WantedUnit, M> {
  /** The device, for messages. */
  device: string;
  desired: DesiredUnits<W>;
  host: ModelHost<W, M>;
  executor: UnitExecutor;
  feedback: BatchFeedback<W, M>;
  publisher: EndpointPublisher<W, M>;
  timers: Timers;
  lifecycle?: LifecycleListener<W, M>;
  log?: WorkerLog;
  loadRetryMs?: number;
  /** Default MAX_LOAD_ATTEMPTS. */
  maxLoadAttempts?: number;
  drainTimeoutMs?: number;
  /** Warn when one pass runs longer than this (its later changes wait), ms; none: no warning. */
  slowPassWarnMs?: number;
}

/** A unit on this device that is not unloaded: what heartbeats and service metadata report. */
export interface UnitState {
  unit: string;
  state: UnitLifecycle;
  mode: Mode;
  /** Why a `failed` unit failed, with how many loads were tried and whether another follows. */
  reason?: string;
}

/** Failed loads of one unit's model here, for the backoff and the give-up. */
interface LoadFailures {
  modelId: string;
  attempts: number;
  reason: string;
  /** Its backoff has passed: the next pass may load it again. */
  due: boolean;
  timer?: unknown;
}

const noop = (): void => undefined;

/** Runs `then` once `result` is there: at once for a plain value, after it settles for a promise. */
function after<T>(result: Eventually<T>, then: () => void, failed: (e: unknown) => void): void {
  if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<T>).then === 'function')
    (result as PromiseLike<T>).then(then, failed);
  else then();
}

/**
 * The worker's control loop for what runs on its device: each pass reads the units wanted here,
 * retires those no longer wanted (or wanted with another model: stop taking requests, drain until the
 * executor says the unit is idle or the drain timeout passes, then unload), retunes the kept ones,
 * loads the new ones one at a time (a failed load is retried after a delay: placement will not ask
 * again by itself), and publishes the endpoints when something changed. Passes run one at a time; a
 * change during one asks for another when it ends. No I/O of its own: everything goes through ports,
 * so the worker binds them to NATS and onnxruntime and the simulator to virtual time.
 */
export class WorkerReconciler<W extends WantedUnit = WantedUnit, M = unknown> {
  /** Ready units, in the order they became ready. */
  private readonly ready = new Map<string, ServingUnit<W, M>>();
  /** Units not ready yet: loading, or waiting to retry a failed load. */
  private readonly pending = new Map<string, { state: typeof UnitLifecycle.Loading | typeof UnitLifecycle.Failed; wanted: W }>();
  private readonly draining = new Set<ServingUnit<W, M>>();
  private passing = false;
  private passAgain = false;
  private stopped = false;
  private readonly failures = new Map<string, LoadFailures>();
  private settledWaiters: (() => void)[] = [];
  /** What the pass in progress is doing, for the operator when it takes long. */
  private step = '';
  private readonly loadRetryMs: number;
  private readonly maxLoadAttempts: number;
  private readonly drainTimeoutMs: number;

  constructor(private readonly ports: WorkerReconcilerPorts<W, M>) {
    this.loadRetryMs = ports.loadRetryMs ?? LOAD_RETRY_MS;
    this.maxLoadAttempts = ports.maxLoadAttempts ?? MAX_LOAD_ATTEMPTS;
    this.drainTimeoutMs = ports.drainTimeoutMs ?? DRAIN_TIMEOUT_MS;
  }

  /** Asks for a pass: now when none runs, else right after the one in progress. */
  reconcile(): void {
    if (this.stopped) return;
    if (this.passing) {
      this.passAgain = true;
      return;
    }
    this.passing = true;
    this.pass();
  }

  /** Resolves when no pass runs or is asked for (tests, shutdown). */
  settled(): Promise<void> {
    if (!this.passing) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  /** Ready units, in the order they became ready. */
  units(): IterableIterator<ServingUnit<W, M>> {
    return this.ready.values();
  }

  unit(unit: string): ServingUnit<W, M> | undefined {
    return this.ready.get(unit);
  }

  /** Where a unit stands here; `unloaded` when it is not here at all. */
  stateOf(unit: string): UnitLifecycle {
    if (this.ready.has(unit)) return UnitLifecycle.Ready;
    const pending = this.pending.get(unit);
    if (pending) return pending.state;
    for (const u of this.draining) if (u.unit === unit) return UnitLifecycle.Draining;
    return UnitLifecycle.Unloaded;
  }

  /** Every unit on this device that is not unloaded, with its state and the mode it is (to be) served in. */
  states(): UnitState[] {
    const out: UnitState[] = [];
    for (const u of this.ready.values()) out.push({ unit: u.unit, state: UnitLifecycle.Ready, mode: u.mode });
    for (const [unit, p] of this.pending) {
      const reason = p.state === UnitLifecycle.Failed ? this.failures.get(unit)?.reason : undefined;
      out.push({ unit, state: p.state, mode: p.wanted.assignment.mode, ...(reason ? { reason } : {}) });
    }
    for (const u of this.draining) out.push({ unit: u.unit, state: UnitLifecycle.Draining, mode: u.mode });
    return out;
  }

  /** No more passes or retries (shutdown); what is loaded stays for the caller to stop. */
  stop(): void {
    this.stopped = true;
    for (const f of this.failures.values()) if (f.timer !== undefined) this.ports.timers.clear(f.timer);
    this.failures.clear();
  }

  private set(unit: string, state: UnitLifecycle, loaded?: ServingUnit<W, M>): void {
    if (loaded) loaded.state = state;
    this.ports.lifecycle?.changed(unit, state, loaded);
  }

  private pass(): void {
    if (this.stopped) return this.endPass();
    const { timers, slowPassWarnMs, log } = this.ports;
    const slow =
      slowPassWarnMs === undefined || !log
        ? undefined
        : timers.set(
            () =>
              log.warn(`a placement change has been in progress for ${slowPassWarnMs / 1000} s (${this.step}); later changes wait for it`),
            slowPassWarnMs,
          );
    const done = () => {
      if (slow !== undefined) timers.clear(slow);
      this.endPass();
    };
    this.step = 'unloading what is no longer placed here';
    const wanted = new Map<string, W>();
    for (const w of this.ports.desired.wanted()) wanted.set(w.unit, w);
    let changed = false;
    for (const [unit, u] of this.ready) {
      const w = wanted.get(unit);
      if (!w || w.modelId !== u.wanted.modelId) {
        this.ready.delete(unit);
        changed = true;
        this.retire(u);
      }
    }
    const toLoad: W[] = [];
    for (const [unit, w] of wanted) {
      const current = this.ready.get(unit);
      if (!current) {
        const failed = this.failures.get(unit);
        if (failed && failed.modelId !== w.modelId)
          this.forgetFailures(unit); // another model: a fresh start
        else if (failed && !failed.due) continue; // backing off, or given up on this model
        toLoad.push(w);
        continue;
      }
      if (current.mode !== w.assignment.mode) changed = true;
      current.retarget(w);
      this.ports.feedback.retune(current);
    }
    const loaded: ServingUnit<W, M>[] = [];
    const loadFrom = (i: number): void => {
      if (this.stopped) return done();
      if (i === toLoad.length) return this.publish(changed, loaded, done);
      const w = toLoad[i];
      this.step = `loading ${w.unit}`;
      this.pending.set(w.unit, { state: UnitLifecycle.Loading, wanted: w });
      this.set(w.unit, UnitLifecycle.Loading);
      this.ports.host.load(w).then(
        (result) => {
          this.pending.delete(w.unit);
          this.forgetFailures(w.unit);
          const u = new ServingUnit<W, M>(w, result);
          this.ports.feedback.initialize(u);
          const run = this.ports.host.serve(u);
          if (run) this.ports.executor.register(w.unit, { batching: u.batching, estimator: u.estimator, run });
          this.ready.set(w.unit, u);
          this.set(w.unit, UnitLifecycle.Ready, u);
          loaded.push(u);
          changed = true;
          loadFrom(i + 1);
        },
        (e: unknown) => {
          this.pending.set(w.unit, { state: UnitLifecycle.Failed, wanted: w });
          this.loadFailed(w, (e as Error)?.message ?? String(e));
          this.set(w.unit, UnitLifecycle.Failed);
          loadFrom(i + 1);
        },
      );
    };
    // A failed unit no longer wanted is not here any more.
    for (const [unit, { state }] of this.pending) {
      if (state === UnitLifecycle.Failed && !wanted.has(unit)) {
        this.pending.delete(unit);
        this.forgetFailures(unit);
        this.set(unit, UnitLifecycle.Unloaded);
      }
    }
    loadFrom(0);
  }

  /**
   * Placement will not change by itself to ask again, so a failed load is retried, with a doubling
   * backoff; after maxLoadAttempts loads of the same model the unit stays `failed` with its reason
   * (in heartbeats, health and events) until it is placed elsewhere or redeployed — no endless retry.
   */
  private loadFailed(w: W, message: string): void {
    const prev = this.failures.get(w.unit);
    const attempts = (prev?.modelId === w.modelId ? prev.attempts : 0) + 1;
    const gaveUp = attempts >= this.maxLoadAttempts;
    const retryInMs = gaveUp ? undefined : this.loadRetryMs * 2 ** (attempts - 1);
    const reason = `cannot load ${w.unit} on ${this.ports.device}: ${message} (attempt ${attempts} of ${this.maxLoadAttempts}${
      gaveUp ? '; given up: redeploy the function or fix the model' : `; retrying in ${retryInMs! / 1000} s`
    })`;
    const f: LoadFailures = { modelId: w.modelId, attempts, reason, due: false };
    if (retryInMs !== undefined) {
      f.timer = this.ports.timers.set(() => {
        f.timer = undefined;
        f.due = true;
        this.reconcile();
      }, retryInMs);
    }
    this.failures.set(w.unit, f);
    this.ports.log?.error(reason);
    this.ports.lifecycle?.loadFailed?.(w.unit, reason, attempts, retryInMs);
  }

  private forgetFailures(unit: string): void {
    const f = this.failures.get(unit);
    if (f?.timer !== undefined) this.ports.timers.clear(f.timer);
    this.failures.delete(unit);
  }

  private publish(changed: boolean, loaded: readonly ServingUnit<W, M>[], done: () => void): void {
    if (!changed) return done();
    this.step = 'publishing the service endpoints';
    after(this.ports.publisher.publish([...this.ready.values()], loaded), done, (e) => {
      this.ports.log?.error(`reconcile failed: ${(e as Error)?.stack ?? String(e)}`);
      done();
    });
  }

  private endPass(): void {
    if (this.passAgain && !this.stopped) {
      this.passAgain = false;
      this.pass();
      return;
    }
    this.passAgain = false;
    this.passing = false;
    const waiters = this.settledWaiters;
    this.settledWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Stops taking requests for a unit, lets its queue finish (or the drain timeout pass), then unloads it. */
  private retire(u: ServingUnit<W, M>): void {
    const { executor, timers, host } = this.ports;
    this.draining.add(u);
    this.set(u.unit, UnitLifecycle.Draining, u);
    let finished = false;
    let cancelIdle = noop;
    const unload = () => {
      if (finished) return;
      finished = true;
      timers.clear(timeout);
      cancelIdle();
      const reloaded = this.ready.has(u.unit);
      if (!reloaded)
        executor.unregister(u.unit, EparaError.noCapacity(`function "${u.unit}" was moved off device ${this.ports.device}; retry`));
      const gone = () => {
        this.draining.delete(u);
        this.set(u.unit, UnitLifecycle.Unloaded, u);
        this.ports.log?.info(`unloaded ${u.unit} from ${this.ports.device}`);
      };
      after(host.unload(u, reloaded), gone, gone);
    };
    const timeout = timers.set(unload, this.drainTimeoutMs);
    cancelIdle = executor.whenIdle(u.unit, unload);
  }
}
