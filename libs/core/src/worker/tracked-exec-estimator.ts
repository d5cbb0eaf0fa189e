import { AdaptiveExecEstimator } from '@epara/policy/batching/adaptive-exec-estimator';

/**
 * An AdaptiveExecEstimator that counts its changes (`observe`, and the executor's `relax`), so the
 * periodic retune recomputes only the units whose measurements moved: with the same estimates the
 * batching limits come out the same. Counting a call that changed nothing only costs a recompute.
 */
export class TrackedExecEstimator extends AdaptiveExecEstimator {
  /** Bumped on every call that may have changed the estimates. */
  changes = 0;

  override observe(size: number, ms: number): void {
    super.observe(size, ms);
    this.changes++;
  }

  override relax(size: number, rate?: number): void {
    super.relax(size, rate);
    this.changes++;
  }
}
