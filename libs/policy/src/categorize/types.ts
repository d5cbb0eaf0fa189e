import type { Categorization } from '@epara/contracts/records';
import type { Footprint, Mode, Sensitivity } from '@epara/contracts/vocabulary';

/** Sensitivity is `frequency` at or above this load (rate × batch-1 time): the device is then busy half the time with it alone. */
export const FREQUENCY_LOAD_THRESHOLD = 0.5;
/**
 * Hysteresis for re-categorizing (when `previous` is given): latency→frequency only at load ≥ 0.6,
 * frequency→latency only at load ≤ 0.4, so a rate that hovers around 0.5 does not flip the mode
 * (each flip may move replicas and reload models).
 */
export const LATENCY_TO_FREQUENCY_LOAD = 0.6;
export const FREQUENCY_TO_LATENCY_LOAD = 0.4;
/**
 * A sensitivity stays at least this long once set, ms. Bursty streams (Gamma CV 3–4) swing a 10 s rate
 * past both hysteresis bounds within seconds; each flip rewrites assignments and costs a placement
 * round (the simulator counted 1,511 flips in an hour on 100 devices without it).
 */
export const MIN_SENSITIVITY_DWELL_MS = 30_000;
/**
 * Hysteresis for footprint: multi→single only when memory ≤ 90% of the largest device and batch-1
 * time ≤ 90% of the SLO. Free memory moves with what else is loaded; this keeps a borderline model
 * from flapping between split and whole.
 */
export const FOOTPRINT_HYSTERESIS_MARGIN = 0.1;
/** Memory estimate without a profile: 2 × the model file (weights plus arena and activations). */
export const MODEL_MEMORY_FACTOR = 2;

/** Memory of one device, bytes. `memoryFreeBytes` counts when given; else `memoryBytes` does. */
export interface DeviceCapacity {
  memoryBytes: number;
  /**
   * Free memory, bytes. When re-categorizing a function that is already loaded, the caller adds the
   * function's own memory back, or it would crowd itself out.
   */
  memoryFreeBytes?: number;
}

export interface CategorizeInput {
  slo: { latencyMs: number };
  /** Expected rate, requests/s, used until a rate is observed. */
  expectedRps?: number;
  /** Observed rate, requests/s; wins over `expectedRps`. */
  observedRps?: number;
  /** Profile on the fastest device class; absent until a worker has measured the function. */
  profile?: { execMsByBatch: Readonly<Record<string, number>>; memoryBytes: number };
  /** Model file size, bytes: memory estimate (× MODEL_MEMORY_FACTOR) when there is no profile. */
  modelSizeBytes: number;
  devices: readonly DeviceCapacity[];
  hints?: { mode?: Mode; sensitivity?: Sensitivity; footprint?: Footprint; memoryBytes?: number };
  /** Whether requests of this kind can be split into parts (tiles) for `sp`; else latency × multi → `pp`. */
  kindCanSplit: boolean;
  /**
   * Whether the model is cut into pipeline stages, so that `pp` has units to place. Absent: assumed
   * (a deploy cuts a pp function's model before it is stored). False: multi-device functions that
   * cannot split fall back to their single-device mode instead of going unserved.
   */
  hasStages?: boolean;
  /** The current category, for hysteresis; `heldForMs`: how long it has been in place (dwell time). */
  previous?: { sensitivity: Sensitivity; footprint: Footprint; heldForMs?: number };
}

/** The record's categorization (without its timestamp), plus the load it was computed from. */
export interface CategorizeDecision extends Omit<Categorization, 'decidedAt'> {
  /** rate × batch-1 time / 1000: the share of one device the function keeps busy (0 without a profile). */
  load: number;
}
