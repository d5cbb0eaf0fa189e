/**
 * Copied glue (candidates for libs/policy): how the scheduler (apps/scheduler/src/scheduler.service.ts)
 * turns a function record into placement input (`decide`) and into a device assignment
 * (`assignment`). Keep in step with the scheduler until they move.
 */
import { chooseBatchParams, PlacementFunction, ServingPolicy } from '@epara/policy';
import type { Mode } from '@epara/contracts/vocabulary';

/** Weight of a model load (ms) against goodput (req/s) in placement (scheduler.service.ts MOVE_COST_WEIGHT). */
export const MOVE_COST_WEIGHT = 0.001;
/** Devices run at most this share of their compute (scheduler.service.ts HEADROOM). */
export const HEADROOM = 0.8;
/** Load time assumed before a profile exists, ms (scheduler.service.ts). */
export const DEFAULT_LOAD_MS = 200;

/**
 * Items per ms at the best batch size whose run fits in half the SLO; at least 1 / batch-1 time
 * (scheduler.service.ts `decide`). Without a batch-1 entry, batch 1 is taken as 1 ms.
 */
export function bestThroughputPerMs(execMsByBatch: Readonly<Record<string, number>>, sloMs: number): { exec1: number; best: number } {
  const exec1 = execMsByBatch['1'] ?? 1;
  let best = 1 / exec1;
  for (const [b, ms] of Object.entries(execMsByBatch)) if (ms <= sloMs / 2) best = Math.max(best, Number(b) / ms);
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

/** One function as placement sees it (scheduler.service.ts `decide`). `observedRps` 0 means none observed. */
export function toPlacementFunction(r: RecordView, observedRps: number, placement: ServingPolicy['placement']): PlacementFunction {
  const { exec1, best } = bestThroughputPerMs(r.profile?.execMsByBatch ?? {}, r.sloMs);
  return {
    name: r.name,
    mode: r.mode,
    memoryBytes: r.hints?.memoryBytes ?? r.profile?.memoryBytes ?? 2 * r.modelSizeBytes,
    loadMs: r.profile?.loadMs ?? DEFAULT_LOAD_MS,
    execMsBatch1: exec1,
    bestThroughputPerMs: best,
    rps: observedRps || r.expectedRps || 0,
    sloMs: r.sloMs,
    ...(placement === 'one-replica' ? { pinnedReplicas: 1 } : r.hints?.replicas ? { pinnedReplicas: r.hints.replicas } : {}),
  };
}

export interface Assignment {
  mode: 'dp' | 'batch';
  maxBatchSize: number;
  maxQueueDelayMs: number;
}

/** A function's assignment on a device (scheduler.service.ts `assignment`): batch or dp, with the batch limits for it. */
export function assignmentFor(
  categoryMode: Mode,
  sloMs: number,
  execMsByBatch: Readonly<Record<string, number>> | undefined,
  hints: { maxBatchSize?: number; maxQueueDelayMs?: number } | undefined,
  batchable: boolean,
): Assignment {
  const mode = categoryMode === 'batch' ? 'batch' : 'dp';
  const chosen = chooseBatchParams({ execMsByBatch, sloMs, mode, hints, batchable });
  return { mode, maxBatchSize: chosen.maxBatchSize, maxQueueDelayMs: chosen.maxQueueDelayMs };
}
