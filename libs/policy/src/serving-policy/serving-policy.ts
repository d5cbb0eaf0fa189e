/**
 * Whole-system policies, switched by `EPARA_POLICY` in the live apps and by name in the simulator, so
 * that benchmarks compare policies with everything else equal (the goodput benchmark).
 *
 * - `epara`: categorization, per-mode dispatch (p2c / batch-window routing), deadline-aware adaptive
 *   batching, greedy state-aware placement.
 * - `naive`: what plain serverless-on-NATS does: one replica per function, no batching, the NATS queue
 *   group picks the replica.
 * - `static-batch`: Triton-like: every function on every device, the same fixed max batch and queue delay
 *   for all, no categorization.
 * - `adaptive-batch`: Clipper-like: per-function AIMD batch size under the SLO, every function on every
 *   device, no categorization, no placement changes.
 */
export const PolicyName = { Epara: 'epara', Naive: 'naive', StaticBatch: 'static-batch', AdaptiveBatch: 'adaptive-batch' } as const;
export type PolicyName = (typeof PolicyName)[keyof typeof PolicyName];
export const POLICY_NAMES: readonly PolicyName[] = Object.values(PolicyName);

export interface ServingPolicy {
  name: PolicyName;
  /** How placement is decided: greedy by goodput (sticky), one replica each, or everything everywhere. */
  placement: 'greedy' | 'one-replica' | 'everywhere';
  /** How a worker forms batches. */
  batching: 'adaptive' | 'off' | 'static' | 'aimd';
  /** How a gateway picks a replica: its own choice from state, or the NATS queue group (random). */
  routing: 'state-aware' | 'queue-group';
  /** Whether functions are categorized (else every function is served as latency × single → dp). */
  categorize: boolean;
}

/** Triton-like fixed batching for `static-batch`: max batch size and queue delay (ms) for every function. */
export const STATIC_MAX_BATCH = 8;
export const STATIC_QUEUE_DELAY_MS = 5;

const POLICIES: Record<PolicyName, ServingPolicy> = {
  epara: { name: 'epara', placement: 'greedy', batching: 'adaptive', routing: 'state-aware', categorize: true },
  naive: { name: 'naive', placement: 'one-replica', batching: 'off', routing: 'queue-group', categorize: false },
  'static-batch': { name: 'static-batch', placement: 'everywhere', batching: 'static', routing: 'queue-group', categorize: false },
  'adaptive-batch': { name: 'adaptive-batch', placement: 'everywhere', batching: 'aimd', routing: 'queue-group', categorize: false },
};

export function servingPolicy(name: PolicyName): ServingPolicy {
  return POLICIES[name];
}

export function isPolicyName(v: unknown): v is PolicyName {
  return typeof v === 'string' && v in POLICIES;
}

/** The category baselines give every function: they do not categorize, everything is one replica mode. */
export function uncategorized(policy: PolicyName, nowMs = 0) {
  return {
    sensitivity: 'latency' as const,
    footprint: 'single' as const,
    mode: 'dp' as const,
    reason: `policy ${policy}: no categorization, every function is served alike`,
    provisional: false,
    pinned: false,
    decidedAt: nowMs,
  };
}
