import type { Schedule, Workload } from '../workload';
import { OUTCOME_OK, ReplayResult } from './replay';

/** Batch-1 run time of a profile, ms: its "1" entry, else the smallest batch's time per item. */
export function execAt1(byBatch: Readonly<Record<string, number>>): number {
  if (byBatch['1'] !== undefined) return byBatch['1'];
  const [b, ms] = Object.entries(byBatch).map(([k, v]) => [Number(k), v]).sort((a, b) => a[0] - b[0])[0];
  return ms / b;
}

/** Replies of batch 1 a function needs before its profile is rescaled. */
export const MIN_CALIBRATION_SAMPLES = 10;

/**
 * The workload with each function's profile scaled by how much slower (or faster) its batch-1 runs
 * were in a live run than the profile says (median `Epara-Exec-Ms` over its replies of batch 1): the
 * validation plan's calibration step (docs/simulator.md). A function with fewer than
 * MIN_CALIBRATION_SAMPLES such replies keeps its profile (factor 1).
 */
export function calibratedWorkload(w: Workload, schedule: Pick<Schedule, 'fnIndex'>, r: Pick<ReplayResult, 'execMs' | 'outcome' | 'batchSize'>): { workload: Workload; factors: number[] } {
  const samples: number[][] = w.functions.map(() => []);
  for (let i = 0; i < r.execMs.length; i++) {
    if (r.outcome[i] === OUTCOME_OK && r.batchSize[i] === 1 && Number.isFinite(r.execMs[i]) && r.execMs[i] > 0) samples[schedule.fnIndex[i]].push(r.execMs[i]);
  }
  const factors = w.functions.map((f, k) => {
    const xs = samples[k].sort((a, b) => a - b);
    return xs.length >= MIN_CALIBRATION_SAMPLES ? xs[Math.floor(xs.length / 2)] / execAt1(f.profile.execMsByBatch) : 1;
  });
  const functions = w.functions.map((f, k) => ({
    ...f,
    profile: { ...f.profile, execMsByBatch: Object.fromEntries(Object.entries(f.profile.execMsByBatch).map(([b, ms]) => [b, ms * factors[k]])) },
  }));
  return { workload: { ...w, functions }, factors };
}
