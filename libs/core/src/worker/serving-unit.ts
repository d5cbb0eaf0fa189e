import type { FunctionRecord, Mode } from '@epara/contracts';
import type { FunctionBatching } from '@epara/policy/serving-policy/batching-for';
import { TrackedExecEstimator } from './tracked-exec-estimator';
import type { LoadedUnit, WantedUnit } from './types';
import { UnitLifecycle } from './unit-lifecycle';

/**
 * One unit loaded on this device, from its load to its unload: what it was placed as (`wanted`, the
 * latest assignment and record), its model (`M`, the host's handle), its estimator and batching, and
 * its lifecycle state. The reconciler owns the state; BatchFeedback the estimator and batching.
 */
export class ServingUnit<W extends WantedUnit = WantedUnit, M = unknown> {
  state: UnitLifecycle = UnitLifecycle.Ready;
  /** Requests that reached this unit here, answered or not (the demand heartbeats report). */
  received = 0;
  /** Of `received`, those refused here for load: 429s, and 504s of requests that waited too long (what gateways throttle from). */
  shed = 0;
  /** Current AIMD batch size (the `adaptive-batch` baseline). */
  aimdBatchSize = 1;
  /** The limits the executor batches it with now. */
  batching: FunctionBatching = { maxBatchSize: 1, preferredBatchSize: 1, maxQueueDelayMs: 0 };
  /** `estimator.changes` when `batching` was last computed. */
  tunedAtChange = -1;
  /** Synthetic inputs could not profile it: its first real request is the sample. */
  needsProfile: boolean;
  readonly estimator: TrackedExecEstimator;
  readonly model: M;
  readonly memoryBytes: number;
  readonly loadMs: number;
  readonly batchable: boolean;
  /** `wanted.record.slo.latencyMs`, kept as a field: BatchFeedback reads it after every batch. */
  sloMs: number;

  constructor(
    public wanted: W,
    loaded: LoadedUnit<M>,
  ) {
    this.model = loaded.model;
    this.memoryBytes = loaded.memoryBytes;
    this.loadMs = loaded.loadMs;
    this.batchable = loaded.batchable;
    this.needsProfile = loaded.needsProfile;
    this.estimator = new TrackedExecEstimator(loaded.execMsByBatch);
    this.sloMs = wanted.record.slo.latencyMs;
  }

  get unit(): string {
    return this.wanted.unit;
  }

  get record(): FunctionRecord {
    return this.wanted.record;
  }

  get mode(): Mode {
    return this.wanted.assignment.mode;
  }

  /** A later placement (or record) for the same unit and model: batching is recomputed from it. */
  retarget(wanted: W): void {
    this.wanted = wanted;
    this.sloMs = wanted.record.slo.latencyMs;
  }
}
