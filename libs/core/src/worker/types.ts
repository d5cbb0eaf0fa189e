import type { EparaError, FunctionRecord, Mode, PreparedRequest } from '@epara/contracts';
import type { FunctionBatching } from '@epara/policy/serving-policy/batching-for';
import type { FunctionSlot } from '../execution/device-executor';
import type { PendingRequest } from '../execution/pending-request';
import type { ServingUnit } from './serving-unit';
import type { UnitLifecycle } from './unit-lifecycle';

/** A result a port gives now (`void`) or later (a promise, or the simulator's synchronous completion). */
export type Eventually<T> = T | PromiseLike<T>;

/** What the placement asks of one unit, as the reconciler needs it. */
export interface UnitAssignment {
  mode: Mode;
  /** The scheduler's batch limits, hints for `batchingFor`. */
  maxBatchSize?: number;
  maxQueueDelayMs?: number;
}

/** One unit this device should serve: its assignment, with the function record it names. */
export interface WantedUnit {
  /** The executor's key: the function name, or `<fn>#<stage>` for a pipeline stage. */
  readonly unit: string;
  /** The model it runs (a sha256): a different one is unloaded and the new one loaded. */
  readonly modelId: string;
  readonly assignment: UnitAssignment;
  readonly record: FunctionRecord;
}

/** What this device should serve now (placement and records, read when a reconcile pass starts). */
export interface DesiredUnits<W extends WantedUnit> {
  /** The units wanted here whose records this worker has (one without its record waits for it). */
  wanted(): Iterable<W>;
}

/** What loading a unit gave: the host's handle on the model, and what batching starts from. */
export interface LoadedUnit<M> {
  model: M;
  memoryBytes: number;
  /** How long the load took, ms (profiles record it). */
  loadMs: number;
  /** The model takes a batch dimension. */
  batchable: boolean;
  /** Exec time per batch size measured for this device class (seeds the estimator); none: learned from runs. */
  execMsByBatch?: Readonly<Record<string, number>>;
  /** The model could not be profiled with synthetic inputs: the first real request is the sample. */
  needsProfile: boolean;
}

/**
 * Where models live: the worker binds it to ModelManager and onnxruntime (fetch, warm, profile into
 * the record), the simulator to its profile-driven fake (a load takes the profile's load time).
 */
export interface ModelHost<W extends WantedUnit, M> {
  /** Fetches, warms and (when it can) profiles the unit's model. A rejection is retried later. */
  load(wanted: W): PromiseLike<LoadedUnit<M>>;
  /**
   * The unit is ready: how the executor runs its batches, or undefined when the host serves it
   * outside the executor (token generation).
   */
  serve(unit: ServingUnit<W, M>): FunctionSlot['run'] | undefined;
  /** Frees the unit's model after its drain. `reloaded`: the same unit was loaded again meanwhile. */
  unload(unit: ServingUnit<W, M>, reloaded: boolean): Eventually<void>;
}

/** The part of the DeviceExecutor the reconciler drives. */
export interface UnitExecutor {
  register(unit: string, slot: FunctionSlot): void;
  unregister(unit: string, reason: EparaError): void;
  retune(unit: string, batching: FunctionBatching): void;
  /** Calls back once the unit has nothing queued and nothing running; returns a cancel. */
  whenIdle(unit: string, onIdle: () => void): () => void;
}

/** Publishes which units take requests here (the worker: its NATS service endpoints). */
export interface EndpointPublisher<W extends WantedUnit, M> {
  /**
   * A reconcile pass changed what is served (loads, retirements, a mode): `serving` is every ready
   * unit, `loaded` those that became ready in this pass (announce them once published).
   */
  publish(serving: readonly ServingUnit<W, M>[], loaded: readonly ServingUnit<W, M>[]): Eventually<void>;
}

/** Hears every lifecycle change of a unit as it happens (the simulator's subscriptions, tests). */
export interface LifecycleListener<W extends WantedUnit, M> {
  /** `loaded` is the unit's ServingUnit from `ready` on (none while loading or after a failed load). */
  changed(unit: string, state: UnitLifecycle, loaded?: ServingUnit<W, M>): void;
  /** A load failed: `attempts` so far, `retryInMs` until the next, none when the reconciler gave up on this model. */
  loadFailed?(unit: string, reason: string, attempts: number, retryInMs?: number): void;
}

/** Where the reconciler says what it does; the simulator passes none. */
export interface WorkerLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Batch metrics after each run (the worker: Prometheus histograms; the simulator: its batch counters). */
export interface BatchMetrics {
  observeBatch(unit: string, execMs: number, batchSize: number): void;
}

/** Profiles a unit with a live request (deferred profiling); the result seeds its estimator. */
export interface DeferredProfiler<W extends WantedUnit, M> {
  profileWith(unit: ServingUnit<W, M>, sample: PreparedRequest): PromiseLike<Readonly<Record<string, number>> | undefined>;
}

/** The batch the executor ran, as BatchFeedback reads it. */
export type RanBatch = readonly Pick<PendingRequest, 'prepared'>[];
