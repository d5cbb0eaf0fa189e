import type { Schedule, Workload } from '@epara/workload';
import { latencyParts } from './breakdown';
import { OUTCOME_OK, ReplayResult } from './replay';

/** Batch-1 run time of a profile, ms: its "1" entry, else the smallest batch's time per item. */
export function execAt1(byBatch: Readonly<Record<string, number>>): number {
  if (byBatch['1'] !== undefined) return byBatch['1'];
  const [b, ms] = Object.entries(byBatch)
    .map(([k, v]) => [Number(k), v])
    .sort((a, b) => a[0] - b[0])[0];
  return ms / b;
}

/** Replies of batch 1 a function needs before its profile is rescaled. */
export const MIN_CALIBRATION_SAMPLES = 10;

/** What a live replay measured per request that calibration reads. */
export type CalibrationRun = Pick<ReplayResult, 'execMs' | 'outcome' | 'batchSize'>;

/**
 * The workload with each function's profile scaled by how much slower (or faster) its batch-1 runs
 * were in a live run than the profile says (median `Epara-Exec-Ms` over its replies of batch 1), and
 * each run's spread around that median (`execFactorSamples`): the validation plan's calibration step
 * (docs/simulator.md). A function with fewer than MIN_CALIBRATION_SAMPLES such replies keeps its
 * profile (factor 1, no spread).
 */
export function calibratedWorkload(
  w: Workload,
  schedule: Pick<Schedule, 'fnIndex'>,
  r: CalibrationRun,
  /** Per function, measured times outside the worker (`pathDelays`), to replace the constant hops; omitted: hops stay. */
  pathDelayMs?: readonly (readonly number[])[],
): { workload: Workload; factors: number[] } {
  const samples: number[][] = w.functions.map(() => []);
  for (let i = 0; i < r.execMs.length; i++) {
    if (r.outcome[i] === OUTCOME_OK && r.batchSize[i] === 1 && Number.isFinite(r.execMs[i]) && r.execMs[i] > 0)
      samples[schedule.fnIndex[i]].push(r.execMs[i]);
  }
  const medians = samples.map((xs) => {
    xs.sort((a, b) => a - b);
    return xs.length >= MIN_CALIBRATION_SAMPLES ? xs[Math.floor(xs.length / 2)] : NaN;
  });
  const factors = w.functions.map((f, k) => (Number.isFinite(medians[k]) ? medians[k] / execAt1(f.profile.execMsByBatch) : 1));
  const functions = w.functions.map((f, k) => ({
    ...f,
    ...(pathDelayMs?.[k]?.length ? { pathDelayMs: pathDelayMs[k] } : {}),
    ...(Number.isFinite(medians[k]) ? { execFactorSamples: samples[k].map((ms) => ms / medians[k]) } : {}),
    profile: {
      ...f.profile,
      execMsByBatch: Object.fromEntries(Object.entries(f.profile.execMsByBatch).map(([b, ms]) => [b, ms * factors[k]])),
    },
  }));
  return { workload: { ...w, functions }, factors };
}

/**
 * Per function, the time its requests spent outside the worker in live runs (pooled): each answered
 * request's latency − worker queue − run, and for each request the worker refused because it arrived
 * too late to run, a delay of twice its SLO (it took at least that long in effect, and the simulator
 * must refuse it too; leaving such requests out would keep only the fast ones).
 */
export function pathDelays(
  w: Pick<Workload, 'functions'>,
  schedule: Pick<Schedule, 'fnIndex'>,
  runs: readonly Pick<ReplayResult, 'latencyMs' | 'queueMs' | 'execMs' | 'outcome' | 'lateArrival'>[],
): number[][] {
  const out = w.functions.map(() => [] as number[]);
  for (const r of runs) {
    latencyParts(w.functions.length, schedule, r).forEach((p, k) => out[k].push(...p.outside));
    for (let i = 0; i < r.lateArrival.length; i++)
      if (r.lateArrival[i]) out[schedule.fnIndex[i]].push(2 * w.functions[schedule.fnIndex[i]].sloMs);
  }
  return out;
}
