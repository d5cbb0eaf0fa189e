import { categorize, PolicyName, uncategorized, AdaptiveExecEstimator } from '@epara/policy';
import type { Footprint, Mode, Sensitivity } from '@epara/contracts/vocabulary';
import type { WorkloadFunction } from '../workload';

/** The function record as the simulated control plane keeps it (FunctionRecord's moving parts). */
export interface SimCategory {
  sensitivity: Sensitivity;
  footprint: Footprint;
  mode: Mode;
  provisional: boolean;
  reason: string;
  /** Virtual time of the last change, ms (the record's `decidedAt`): the dwell time counts from it. */
  decidedAtMs: number;
}

/** Memory a device offers, as the categorizer takes it. */
export interface DeviceMemory {
  memoryBytes: number;
  memoryFreeBytes?: number;
}

/**
 * One deployed function: its spec, its current category, whether a worker has stored its profile yet,
 * and the "true" execution time per batch size the simulated device takes (the profile, interpolated
 * by an AdaptiveExecEstimator that never observes anything).
 */
export class SimFunction {
  category: SimCategory;
  /** A worker has measured it and stored the profile in the record (true after its first load). */
  profiled = false;
  /** `PendingRequest.prepared` of every request: one shape group, one item. */
  readonly prepared: { groupKey: string; items: number };
  private readonly truth: AdaptiveExecEstimator;
  private readonly truthMs: Float64Array;

  constructor(
    readonly index: number,
    readonly spec: WorkloadFunction,
    policy: PolicyName,
    categorizes: boolean,
    devices: readonly DeviceMemory[],
  ) {
    this.prepared = { groupKey: '', items: 1 };
    this.truth = new AdaptiveExecEstimator(spec.profile.execMsByBatch);
    this.truthMs = new Float64Array(1025).fill(-1);
    // Deploy-time categorization (gateway deploy.service.ts `categorizeFirst`): no profile yet.
    if (!categorizes) {
      const u = uncategorized(policy);
      this.category = { sensitivity: u.sensitivity, footprint: u.footprint, mode: u.mode, provisional: u.provisional, reason: u.reason, decidedAtMs: 0 };
    } else {
      const d = categorize({
        slo: { latencyMs: spec.sloMs },
        expectedRps: spec.expectedRps,
        modelSizeBytes: spec.modelSizeBytes,
        devices: devices.map((x) => ({ memoryBytes: x.memoryBytes, memoryFreeBytes: x.memoryFreeBytes })),
        hints: spec.hints,
        kindCanSplit: spec.kindCanSplit,
      });
      this.category = { sensitivity: d.sensitivity, footprint: d.footprint, mode: d.mode, provisional: d.provisional, reason: d.reason, decidedAtMs: 0 };
    }
  }

  get name(): string {
    return this.spec.name;
  }

  /** The stored profile, once a worker has measured it (the record's `profiles`). */
  get storedProfile(): WorkloadFunction['profile'] | undefined {
    return this.profiled ? this.spec.profile : undefined;
  }

  /** True execution time of a batch of `size` on the reference device, ms (memoized). */
  execMs(size: number): number {
    if (size < this.truthMs.length) {
      const m = this.truthMs[size];
      if (m >= 0) return m;
      return (this.truthMs[size] = this.truth.execMs(size));
    }
    return this.truth.execMs(size);
  }
}
