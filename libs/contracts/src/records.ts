import { Datatype } from './tensor';
import { Footprint, FunctionKind, Mode, Sensitivity } from './vocabulary';
import type { UnitLifecycle } from './unit-lifecycle';

/** One input or output of a model, as onnxruntime reports it. Dimensions are sizes or symbolic names. */
export interface TensorSpec {
  name: string;
  datatype: Datatype;
  shape: (number | string)[];
  /** Index of the batch dimension, or null when the tensor has none (then requests batch only when it is equal). */
  batchAxis: number | null;
}

/** The model artifact behind a function: stored once in the object store `epara_models`, named by sha256. */
export interface ModelInfo {
  sha256: string;
  sizeBytes: number;
  format: 'onnx';
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  /** True when every input has a batch dimension, so requests can be stacked into one run. */
  batchable: boolean;
  /** Where it came from: `upload`, `bundled:<name>`, or `stored`. */
  source: string;
  /** Pipeline stages (mode `pp`): the model cut into K models, run in order on different devices. */
  stages?: StageInfo[];
  /** Why the model was cut where it was (partitioner's reason). */
  partitionReason?: string;
}

/** One pipeline stage: a complete ONNX model stored in `epara_models` under its own sha256. */
export interface StageInfo {
  index: number;
  sha256: string;
  sizeBytes: number;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  batchable: boolean;
  /**
   * A kind's own stage (the `ocr` kind's detector, classifier, recognizer): the tensors the stage unit
   * reads and returns around its model, when the worker's kind processing makes them differ from the
   * model's `inputs` and `outputs` (what the chain carries; the model's own signature stays above).
   */
  carries?: { inputs: TensorSpec[]; outputs: TensorSpec[] };
}

/** The unit placed on devices and reported in heartbeats: a function, or one stage of it (`<fn>#<stage>`). */
export function unitKey(fn: string, stage?: number): string {
  return stage === undefined ? fn : `${fn}#${stage}`;
}

/** Measured execution time per batch size on one device class, plus memory footprint: what categorization and placement read. */
export interface Profile {
  deviceClass: string;
  /** Execution time of one run per batch size, ms (median of the measured runs). */
  execMsByBatch: Record<string, number>;
  /** Resident memory the loaded model costs, bytes (measured as RSS growth; an estimate on shared processes). */
  memoryBytes: number;
  /** Load (session create + warm-up) time, ms: what a placement change pays. */
  loadMs: number;
  /** Shape class the times were measured on (the non-batch dims of the first input). */
  shapeClass: string;
  measuredAt: number;
  device: string;
}

/** The category and mode of a function, with the reason a reader can check. */
export interface Categorization {
  sensitivity: Sensitivity;
  footprint: Footprint;
  mode: Mode;
  reason: string;
  /** True while it rests on estimates (no profile yet). */
  provisional: boolean;
  /** True when a hint pinned any part of it. */
  pinned: boolean;
  decidedAt: number;
}

export interface Slo {
  /**
   * End-to-end latency objective, ms, counted from arrival at the gateway (or from the producer's deadline).
   * For text generation: the time to first token.
   */
  latencyMs: number;
  /** Text generation: time per output token, ms. Default 5 × one decode step. */
  tpotMs?: number;
}

export interface Hints {
  mode?: Mode;
  sensitivity?: Sensitivity;
  footprint?: Footprint;
  /** Upper bound on the batch size the batcher may form. Min 1. */
  maxBatchSize?: number;
  /** Max wait before a partial batch runs, ms, counted from the oldest queued request. Min 0. */
  maxQueueDelayMs?: number;
  /** Memory the model needs on a device, bytes, when the profile should not be trusted. */
  memoryBytes?: number;
  /** Exact number of replicas to keep (as many as devices allow); unset: the scheduler decides by load. */
  replicas?: number;
}

export interface Expected {
  /** Expected request rate, requests/s, used until a rate is observed. */
  rps?: number;
}

/** What a user deploys. */
export interface FunctionSpec {
  name: string;
  kind: FunctionKind;
  description?: string;
  slo: Slo;
  hints?: Hints;
  expected?: Expected;
}

/** What Epara stores in KV `epara_functions` under the function's name. */
export interface FunctionRecord extends FunctionSpec {
  model: ModelInfo;
  category: Categorization;
  /** Profiles by device class (e.g. `cpu-ep`), written by the first worker that loads the function there. */
  profiles: Record<string, Profile>;
  /** Observed load, written by the scheduler. */
  observed?: { rps: number; at: number };
  createdAt: number;
  updatedAt: number;
}

/** One function on one device, as the scheduler assigns it. */
export interface Assignment {
  fn: string;
  /** Pipeline stage index (mode `pp`); absent for whole-model functions. */
  stage?: number;
  mode: Mode;
  sha256: string;
  maxBatchSize: number;
  maxQueueDelayMs: number;
}

/** KV `epara_placement`, one key per device. */
export interface DevicePlacement {
  device: string;
  assignments: Assignment[];
  reason: string;
  at: number;
}

/** Load of one function on one device, as the worker reports it in heartbeats. */
export interface FunctionLoad {
  /** The unit: the function name, or `<fn>#<stage>` for a pipeline stage. */
  fn: string;
  mode: Mode;
  /** Requests waiting in the batcher. */
  queued: number;
  /** Requests in a running batch. */
  running: number;
  /** Requests completed since the worker started (monotonic). */
  completed: number;
  /**
   * Requests that reached the worker since it started, answered or not (monotonic): the demand. Under
   * overload completions fall while demand rises, so placement reads this one.
   */
  received: number;
  /**
   * Of `received`, requests the worker refused for load (monotonic): 429 (its queue was full, or the
   * requests ahead would outlast their deadline), or 504 for a request that waited too long when one
   * run alone fits the SLO. Gateways throttle from its share of `received`. Absent from workers that
   * predate it.
   */
  shed?: number;
  /** EWMA of execution time of batch 1 (or per item), ms. */
  execMsEwma: number;
  /** Batch size the device's batcher runs at once for this function now. */
  preferredBatchSize: number;
  /** The unit's lifecycle state here (absent from workers that predate it: read `ready`). */
  state?: UnitLifecycle;
  /** Why a `failed` unit failed (the worker's last load error, attempts, whether it retries). */
  reason?: string;
  /** It takes requests: `state` is `ready`. What routing filters on. */
  ready: boolean;
}

/** KV `epara_devices` (TTL'd) and `epara.v1.state.<device>`: a worker's heartbeat. */
export interface DeviceState {
  device: string;
  /** Accelerator slot: `cpu:0`, `cuda:1`. */
  slot: string;
  host: string;
  /** Class of hardware for profiles: devices of one class share profiles (e.g. `cpu-ep`, `cuda-ep`). */
  deviceClass: string;
  executionProvider: string;
  /** Why the provider differs from the one asked for, if it does. */
  providerNote?: string;
  memoryBytes: number;
  memoryFreeBytes: number;
  threads: number;
  /** Fraction of the last interval the device spent running batches, 0..1. */
  utilization: number;
  queued: number;
  running: number;
  functions: FunctionLoad[];
  draining: boolean;
  /**
   * Why gateways should send nothing here yet although the worker runs: its NATS server was cut off from
   * its cluster and not every route is back (a reply sent now could be dropped on its way). Its units
   * say `ready: false` meanwhile.
   */
  rejoining?: string;
  startedAt: number;
  at: number;
  version: string;
}
