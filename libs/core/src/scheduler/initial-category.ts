import { Categorization, FunctionRecord, kindCapabilities } from '@epara/contracts';
import { categorize, ServingPolicy, toCategorization, uncategorized } from '@epara/policy';
import { profileOf } from './scheduler-round';

/** What deploy knows of a function when it first categorizes it. */
export type DeployedFunction = Pick<FunctionRecord, 'slo' | 'expected' | 'observed' | 'hints' | 'kind'> & {
  profiles?: FunctionRecord['profiles'];
};

/**
 * The category a function gets when it is deployed or updated, before the scheduler has seen any load:
 * from its spec, its model's size, any stored profile and the devices' memory. Baselines that do not
 * categorize give every function the same one. The gateway and the simulator both start from it.
 */
export function initialCategory(
  policy: Pick<ServingPolicy, 'name' | 'categorize'>,
  f: DeployedFunction,
  modelSizeBytes: number,
  devices: readonly { memoryBytes: number; memoryFreeBytes: number }[],
  nowMs: number,
  /** Whether a pp category could get stage models; the gateway cuts them after categorizing (absent: yes). */
  canHaveStages?: boolean,
): Categorization {
  if (!policy.categorize) {
    const same = uncategorized(policy.name, nowMs);
    // A kind built of several models has no single model to serve alike: it runs as their pipeline.
    const staged = kindCapabilities(f.kind).stageModels;
    return staged
      ? { ...same, mode: 'pp', reason: `${same.reason}; a ${f.kind} function runs as the pipeline of its ${staged.length} models (pp)` }
      : same;
  }
  const d = categorize({
    slo: { latencyMs: f.slo.latencyMs },
    expectedRps: f.expected?.rps,
    observedRps: f.observed?.rps,
    modelSizeBytes,
    profile: f.profiles ? profileOf({ profiles: f.profiles }) : undefined,
    devices: devices.map((x) => ({ memoryBytes: x.memoryBytes, memoryFreeBytes: x.memoryFreeBytes })),
    hints: f.hints,
    kindCanSplit: kindCapabilities(f.kind).canSplit,
    hasStages: canHaveStages,
  });
  return toCategorization(d, nowMs);
}
