import type { Mode } from '@epara/contracts/vocabulary';

/** One function (or one pipeline stage, named as its own unit) as placement sees it. */
export interface PlacementFunction {
  name: string;
  mode: Mode;
  /** Memory one replica needs on a device, bytes. */
  memoryBytes: number;
  /** Load time (session create + warm-up), ms: what adding a replica costs. */
  loadMs: number;
  /** Batch-1 execution time on a reference device (computeScale 1), ms. */
  execMsBatch1: number;
  /** Items per ms at the best batch size on a reference device; used for `batch` and `pp`. */
  bestThroughputPerMs: number;
  /** Request rate, observed or expected, requests/s. */
  rps: number;
  /** Latency SLO, ms: a device where batch 1 takes longer serves it, but not within its SLO. */
  sloMs: number;
  /** Exact replica count pinned by the deployer; placement neither adds nor removes beyond it. */
  pinnedReplicas?: number;
}

export interface PlacementDevice {
  id: string;
  /** Memory capacity, bytes: what placement fills. */
  memoryBytes: number;
  /** Ignored: placement plans the whole capacity (what it places is all that runs there). */
  memoryFreeBytes?: number;
  /** Speed relative to the reference device (1): execution time divides by it. Must be > 0. */
  computeScale: number;
  /** Gone (heartbeat expired): gets nothing, its replicas move. */
  lost: boolean;
}

export interface PlacementParams {
  /**
   * Goodput (requests/s) a new replica must add per ms of its load time, so a change pays for itself:
   * a replica is added only if its gain > loadMs × moveCostWeight. Min 0. Default 0.001 (1 s load ↔ 1 rps).
   */
  moveCostWeight: number;
  /** Most replicas of one function (a pinned count wins). Min 1. Default 8. */
  maxReplicasPerFunction: number;
  /** Utilisation a device is planned to, (0, 1]: queueing delay grows sharply near 1. Default 0.8. */
  headroom: number;
}

export const DEFAULT_PLACEMENT_PARAMS: Readonly<PlacementParams> = Object.freeze({
  moveCostWeight: 0.001,
  maxReplicasPerFunction: 8,
  headroom: 0.8,
});

export interface PlacementInput {
  functions: readonly PlacementFunction[];
  devices: readonly PlacementDevice[];
  /** What is placed now: device id → function names. Unknown devices and functions are dropped. */
  current: Readonly<Record<string, readonly string[]>>;
  params: PlacementParams;
}

export interface PlacementDecision {
  /** Every input device → its function names, sorted; lost devices get []. */
  byDevice: Record<string, string[]>;
  /** Against `current`: replicas to load ([function, device]) and to unload. */
  changes: { added: [string, string][]; removed: [string, string][] };
  reason: string;
  /** Requests/s served within SLO under the placement's load model. */
  estimatedGoodput: number;
}
