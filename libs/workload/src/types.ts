import type { Hints } from '@epara/contracts/records';
/**
 * A workload file (JSON): functions with their model profiles and SLOs, request streams with their
 * arrival processes, the device set, and run length. Shared by the simulator (apps/sim) and the
 * live replay, so both replay exactly the same request timestamps.
 *
 * Units are in the field names: `...Ms` milliseconds, `...S` seconds, `rate` requests/s, `...Bytes` bytes.
 */

/** Measured execution profile of a model on a reference device (computeScale 1). */
export interface ModelProfile {
  /** Execution time of one run per batch size, ms; keys are batch sizes ("1", "8", ...). At least one entry. */
  execMsByBatch: Record<string, number>;
  /** Memory one replica takes on a device, bytes. */
  memoryBytes: number;
  /** Time to load the model on a device (session create + warm-up), ms. */
  loadMs: number;
  /** Where the numbers come from (free text, shown in reports). */
  source?: string;
}

/** A workload function's hints are the deploy spec's hints. */
export type FunctionHints = Hints;

export interface WorkloadFunction {
  name: string;
  /** Name of the profile (built-in or from `profiles`), or "inline" when given in the file. */
  profileName: string;
  profile: ModelProfile;
  /** End-to-end latency SLO, ms, counted from the request's scheduled send time. */
  sloMs: number;
  /** Rate the deployer expects, requests/s (the record's `expected.rps`); the scheduler uses it until it observes one. */
  expectedRps?: number;
  hints?: FunctionHints;
  /** False when the model has no batch dimension (every batch is 1). Default true. */
  batchable: boolean;
  /** Whether requests can be split into tiles (`sp`); else latency × multi → `pp`. Default false. */
  kindCanSplit: boolean;
  /** Model file size, bytes: the categorizer's memory estimate before a profile exists. Default memoryBytes / 2. */
  modelSizeBytes: number;
  /**
   * Measured time a request spends outside the worker (producer, NATS hops, gateway, encoding), ms, one
   * sample per request of a live run: when given, the simulator draws one per request instead of the
   * network's constant hops, half before the worker and half after. Set by calibration
   * (bench/goodput/calibrate.ts), not read from workload files.
   */
  pathDelayMs?: readonly number[];
  /**
   * Measured run-time spread: one run's time ÷ the median, one sample per live batch-1 run. When given,
   * each simulated run's time is multiplied by a draw from these instead of the workload's `noise.execCv`.
   * Set by calibration, not read from workload files.
   */
  execFactorSamples?: readonly number[];
}

export type ArrivalSpec =
  /** Poisson arrivals (exponential gaps, CV 1). */
  | { kind: 'poisson'; rate: number }
  /** Renewal process with Gamma gaps: shape 1/cv², scale cv²/rate (AlpaServe `GammaProcess`). cv 1 = Poisson. */
  | { kind: 'gamma'; rate: number; cv: number }
  /** One request every `periodMs`, the first at `phaseMs` (a number, or "random": uniform in [0, period)). */
  | { kind: 'periodic'; periodMs: number; phaseMs: number | 'random' }
  /**
   * On/off source (an MMPP with two states, AlpaServe `UniformMMPP`-like): exponential ON periods
   * (mean onMeanS) alternate with exponential OFF periods (mean offMeanS); while ON it sends every
   * `periodMs` (speech frames) or, with `rate`, Poisson at that rate.
   */
  | { kind: 'onoff'; onMeanS: number; offMeanS: number; periodMs?: number; rate?: number }
  /**
   * Load step: Poisson (or Gamma with `cv`) at `base` requests/s, × `factor` from `atS` (seconds since
   * the run's start, warm-up included) until `untilS` (default: the end).
   */
  | { kind: 'step'; base: number; factor: number; atS: number; untilS?: number; cv?: number }
  /**
   * Cyclic rate profile (a diurnal shape compressed into the run): `rate` × `multipliers[i]` during
   * segment i of `segmentS` seconds, wrapping around after the last; Poisson, or Gamma gaps with `cv`.
   */
  | { kind: 'piecewise'; rate: number; segmentS: number; multipliers: number[]; cv?: number };

export interface WorkloadStream {
  function: string;
  /** Index of the function in `Workload.functions`. */
  fnIndex: number;
  /** Independent copies of the process (e.g. 8 microphones), each with its own seed. Default 1. */
  count: number;
  arrival: ArrivalSpec;
  /** Active window, seconds since the run's start. Default the whole run. */
  startS: number;
  endS: number;
}

export interface DeviceGroup {
  count: number;
  memoryBytes: number;
  /** Speed relative to the reference device the profiles were measured on. Default 1. */
  computeScale: number;
  /** Device ids are `<prefix>-<n>`. Default "dev". */
  idPrefix: string;
}

export interface NetworkModel {
  /** One NATS request/reply round trip between two processes, ms (≈ 0.66 ms p50, measured between two local processes). */
  hopMs: number;
  /**
   * `direct`: the worker answers the producer itself (1.5 hops); `relay`: the gateway keeps its own
   * inbox and relays the reply (2 round trips).
   */
  path: 'direct' | 'relay';
}

export interface Workload {
  name: string;
  description?: string;
  seed: number;
  /** Measured window, s (after the warm-up). */
  durationS: number;
  /** Warm-up excluded from statistics, s. */
  warmupS: number;
  devices: DeviceGroup[];
  network: NetworkModel;
  /** Multiplicative noise on execution times: lognormal with this coefficient of variation. 0 = exact. */
  execNoiseCv: number;
  functions: WorkloadFunction[];
  streams: WorkloadStream[];
}

/** A device of the expanded device set. */
export interface DeviceSpec {
  id: string;
  memoryBytes: number;
  computeScale: number;
}
