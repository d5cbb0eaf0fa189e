import type { ServingPolicy } from '@epara/policy/serving-policy/serving-policy';
import { batchingFor, nextAimdBatchSize, sameBatching, type FunctionBatching } from '@epara/policy/serving-policy/batching-for';
import type { ServingUnit } from './serving-unit';
import type { BatchMetrics, DeferredProfiler, RanBatch, WantedUnit } from './types';

/** Sets a unit's batching limits in the executor (DeviceExecutor.retune). */
export interface BatchTuner {
  retune(unit: string, batching: FunctionBatching): void;
}

/**
 * What follows each batch run, and the periodic retune: the estimator learns the run's time, the
 * AIMD size steps (`aimd`), a unit that synthetic inputs could not profile is profiled with its first
 * real request, the run goes to the metrics; and batching limits follow the estimates. Shared by the
 * worker and the simulator, so both adapt alike.
 */
export class BatchFeedback<W extends WantedUnit = WantedUnit, M = unknown> {
  constructor(
    /** The policy's batching kind on this device ('off' when the worker's batching is switched off). */
    private readonly kind: ServingPolicy['batching'],
    private readonly tuner: BatchTuner,
    private readonly metrics?: BatchMetrics,
    private readonly profiler?: DeferredProfiler<W, M>,
  ) {}

  /** The unit's batching limits under the policy, from its assignment and estimates now. */
  limitsFor(u: ServingUnit<W, M>): FunctionBatching {
    return batchingFor(this.kind, {
      mode: u.mode,
      sloMs: u.sloMs,
      batchable: u.batchable,
      assignment: u.wanted.assignment,
      estimator: u.estimator,
      aimdBatchSize: u.aimdBatchSize,
    });
  }

  /** Computes the limits a unit starts with (before the executor knows it). */
  initialize(u: ServingUnit<W, M>): void {
    u.tunedAtChange = u.estimator.changes;
    u.batching = this.limitsFor(u);
  }

  /** Recomputes the unit's limits and retunes the executor when they changed. */
  retune(u: ServingUnit<W, M>): void {
    u.tunedAtChange = u.estimator.changes;
    const b = this.limitsFor(u);
    if (sameBatching(u.batching, b)) return;
    u.batching = b;
    this.tuner.retune(u.unit, b);
  }

  /**
   * The periodic retune (the worker calls it on its heartbeat timer): limits follow the estimates.
   * Units whose estimates did not change since their last retune would get the same limits: skipped;
   * so are all units of a policy whose limits do not follow the estimates.
   */
  retuneChanged(units: Iterable<ServingUnit<W, M>>): void {
    // Only adaptive limits follow the estimates: off and static are fixed, and AIMD retunes after each run.
    if (this.kind !== 'adaptive') return;
    for (const u of units) if (u.estimator.changes !== u.tunedAtChange) this.retune(u);
  }

  /**
   * A batch of `batch.length` requests (`items` in all) ran in `execMs`: learn from it. Call before
   * answering its requests.
   */
  afterRun(u: ServingUnit<W, M>, batch: RanBatch, items: number, execMs: number): void {
    u.estimator.observe(items, execMs);
    if (this.kind === 'aimd' && u.batchable) {
      u.aimdBatchSize = nextAimdBatchSize(u.aimdBatchSize, execMs, u.sloMs);
      this.retune(u);
    }
    if (u.needsProfile && this.profiler) {
      // Synthetic inputs did not fit the model (a detector's height and width, Silero's frame length): profile with this one.
      u.needsProfile = false;
      const sample = { ...batch[0].prepared, items: 1 };
      this.profiler.profileWith(u, sample).then(
        (execMsByBatch) => {
          if (execMsByBatch) for (const [b, ms] of Object.entries(execMsByBatch)) u.estimator.observe(Number(b), ms);
        },
        () => undefined,
      );
    }
    this.metrics?.observeBatch(u.unit, execMs, batch.length);
  }
}
