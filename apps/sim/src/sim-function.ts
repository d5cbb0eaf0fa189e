import { FunctionKind, KIND_CAPABILITIES, type Categorization, type FunctionRecord, type ModelInfo } from '@epara/contracts';
import { initialCategory } from '@epara/core/scheduler/initial-category';
import { AdaptiveExecEstimator, type ServingPolicy } from '@epara/policy';
import type { WorkloadFunction } from '@epara/workload';

/** Memory a device offers, as the categorizer takes it. */
export interface DeviceMemory {
  memoryBytes: number;
  memoryFreeBytes: number;
}

/** The device class simulated profiles are stored under (one class: the workload's reference device). */
const SIM_DEVICE_CLASS = 'sim';

/** A kind with the capability the workload asks for: workloads describe capabilities, records name kinds. */
function kindWith(canSplit: boolean): FunctionKind {
  const kind = (Object.keys(KIND_CAPABILITIES) as FunctionKind[]).find((k) => KIND_CAPABILITIES[k].canSplit === canSplit);
  if (!kind) throw new Error(`simulator: no function kind has canSplit=${canSplit}`);
  return kind;
}

/**
 * One deployed function: its record as the scheduler sees it in `epara_functions` (the same
 * FunctionRecord the live scheduler reads, with a simulated model), and the "true" execution time per
 * batch size the simulated device takes (the profile, interpolated by an AdaptiveExecEstimator that
 * never observes anything).
 */
export class SimFunction {
  record: FunctionRecord;
  /** `PendingRequest.prepared` of every request: one shape group, one item. */
  readonly prepared: { groupKey: string; items: number };
  private readonly truth: AdaptiveExecEstimator;
  private readonly truthMs: Float64Array;

  constructor(
    readonly index: number,
    readonly spec: WorkloadFunction,
    policy: Pick<ServingPolicy, 'name' | 'categorize'>,
    devices: readonly DeviceMemory[],
  ) {
    this.prepared = { groupKey: '', items: 1 };
    this.truth = new AdaptiveExecEstimator(spec.profile.execMsByBatch);
    this.truthMs = new Float64Array(1025).fill(-1);
    const model: ModelInfo = {
      sha256: `sim-${spec.name}`,
      sizeBytes: spec.modelSizeBytes,
      format: 'onnx',
      inputs: [],
      outputs: [],
      batchable: spec.batchable,
      source: 'simulated',
    };
    const base = {
      name: spec.name,
      kind: kindWith(spec.kindCanSplit),
      slo: { latencyMs: spec.sloMs },
      hints: spec.hints,
      expected: spec.expectedRps === undefined ? undefined : { rps: spec.expectedRps },
    };
    // Deployed at t = 0, categorized as the gateway does it at deploy (no profile yet). Simulated models
    // are never cut into pipeline stages, so a multi-device function is served whole.
    this.record = {
      ...base,
      model,
      category: initialCategory(policy, base, spec.modelSizeBytes, devices, 0, false),
      profiles: {},
      createdAt: 0,
      updatedAt: 0,
    };
  }

  get name(): string {
    return this.spec.name;
  }

  get category(): Categorization {
    return this.record.category;
  }

  /** A worker has measured it and stored the profile in the record (true after its first load). */
  get profiled(): boolean {
    return SIM_DEVICE_CLASS in this.record.profiles;
  }

  /** The first worker that loads the function stores its profile in the record, as a live worker does. */
  storeProfile(device: string, nowMs: number): void {
    const p = this.spec.profile;
    const profile = {
      deviceClass: SIM_DEVICE_CLASS,
      execMsByBatch: p.execMsByBatch,
      memoryBytes: p.memoryBytes,
      loadMs: p.loadMs,
      shapeClass: '',
      measuredAt: nowMs,
      device,
    };
    this.record = { ...this.record, profiles: { [SIM_DEVICE_CLASS]: profile }, updatedAt: nowMs };
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
