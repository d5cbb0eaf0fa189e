/**
 * How a function record becomes placement input and a device assignment: shared by the scheduler and
 * the simulator, so both place alike.
 */
import type { Mode, Sensitivity } from '@epara/contracts/vocabulary';
import { chooseBatchParams } from '../batching/choose-batch-params';
import { MODEL_MEMORY_FACTOR } from '../categorize/types';
import type { ServingPolicy } from '../serving-policy/serving-policy';
import type { PlacementFunction } from './types';

/** Weight of a model load (ms) against goodput (req/s) in placement . */
export const MOVE_COST_WEIGHT = 0.001;
/** Devices run at most this share of their compute . */
export const HEADROOM = 0.8;
/** Load time assumed before a profile exists, ms. */
export const DEFAULT_LOAD_MS = 200;
/** Server CPU per request outside the model run (decode, encode, NATS), ms (≈ 0.3 ms measured, docs/benchmarks.md). */
export const REQUEST_OVERHEAD_MS = 0.3;

/**
 * Batch-1 time plus the per-request overhead, and items per ms at the best batch size whose run fits
 * in half the SLO, each item also paying the overhead; at least 1 / that batch-1 time
 * Without a batch-1 entry, batch 1 is taken as 1 ms.
 */
export function bestThroughputPerMs(execMsByBatch: Readonly<Record<string, number>>, sloMs: number): { exec1: number; best: number } {
  const exec1 = (execMsByBatch['1'] ?? 1) + REQUEST_OVERHEAD_MS;
  let best = 1 / exec1;
  for (const [b, ms] of Object.entries(execMsByBatch))
    if (ms <= sloMs / 2) best = Math.max(best, Number(b) / (ms + Number(b) * REQUEST_OVERHEAD_MS));
  return { exec1, best };
}

export interface RecordView {
  name: string;
  mode: Mode;
  sloMs: number;
  /** The stored profile (absent until a worker profiled the function). */
  profile?: { execMsByBatch: Readonly<Record<string, number>>; memoryBytes: number; loadMs: number };
  modelSizeBytes: number;
  hints?: { memoryBytes?: number; replicas?: number };
  expectedRps?: number;
}

/** Replica pin: one for one-replica, the hint, every device for `sp`. */
export function replicaPin(r: RecordView, placement: ServingPolicy['placement'], deviceCount: number): { pinnedReplicas?: number } {
  if (placement === 'one-replica') return { pinnedReplicas: 1 };
  if (r.hints?.replicas) return { pinnedReplicas: r.hints.replicas };
  if (r.mode === 'sp') return { pinnedReplicas: Math.max(1, deviceCount) };
  return {};
}

/**
 * One function as placement sees it (whole-model functions; `pp` stages are placed as
 * units of their own by the caller). `observedRps` 0 means none observed.
 */
export function toPlacementFunction(
  r: RecordView,
  observedRps: number,
  placement: ServingPolicy['placement'],
  deviceCount: number,
): PlacementFunction {
  const { exec1, best } = bestThroughputPerMs(r.profile?.execMsByBatch ?? {}, r.sloMs);
  return {
    name: r.name,
    mode: r.mode,
    memoryBytes: r.hints?.memoryBytes ?? r.profile?.memoryBytes ?? MODEL_MEMORY_FACTOR * r.modelSizeBytes,
    loadMs: r.profile?.loadMs ?? DEFAULT_LOAD_MS,
    execMsBatch1: exec1,
    bestThroughputPerMs: best,
    rps: observedRps || r.expectedRps || 0,
    sloMs: r.sloMs,
    ...replicaPin(r, placement, deviceCount),
  };
}

export interface AssignmentLimits {
  /** The category's mode (dp, batch, sp; pp stages are not simulated). */
  mode: Mode;
  maxBatchSize: number;
  maxQueueDelayMs: number;
}

/**
 * A function's assignment on a device: its mode, with the batch limits for it. A `pp` stage batches
 * for throughput, except in a latency-sensitive pipeline (a pinned `ocr` chain, a latency × multi
 * model that cannot split): there each stage takes what is queued without waiting, as `dp` does,
 * since every stage waiting SLO/4 for a batch would spend most of the request's one deadline waiting.
 */
export function assignmentFor(
  categoryMode: Mode,
  sloMs: number,
  execMsByBatch: Readonly<Record<string, number>> | undefined,
  hints: { maxBatchSize?: number; maxQueueDelayMs?: number } | undefined,
  batchable: boolean,
  sensitivity?: Sensitivity,
): AssignmentLimits {
  const mode = categoryMode;
  const throughputFirst = mode === 'batch' || (mode === 'pp' && sensitivity !== 'latency');
  const chosen = chooseBatchParams({ execMsByBatch, sloMs, mode: throughputFirst ? 'batch' : 'dp', hints, batchable });
  return { mode, maxBatchSize: chosen.maxBatchSize, maxQueueDelayMs: chosen.maxQueueDelayMs };
}
