import { fmtMs, markdownTable, percentile } from '@epara/goodput';
import type { Schedule } from '@epara/workload';
import { OUTCOME_OK, ReplayResult } from './replay';

/** p50 / p95 of each part of an answered request's latency, ms. */
export interface LatencyParts {
  answered: number;
  latency: [number, number];
  /** In the worker's queue (`Epara-Queue-Ms`). */
  queue: [number, number];
  /** Its batch's run (`Epara-Exec-Ms`). */
  run: [number, number];
  /** Everything else: client lateness, NATS hops, the gateway, decoding and encoding, a worker's event loop busy elsewhere. */
  outside: [number, number];
}

type Answered = Pick<ReplayResult, 'latencyMs' | 'queueMs' | 'execMs' | 'outcome'>;

/**
 * Per function, the parts of each answered request's latency (with both worker headers): what the
 * worker measured (queue, run) and the rest, `outside` = latency − queue − run. The simulator models
 * the queue and the run; `outside` is what it approximates by constant network hops unless calibrated.
 */
export function latencyParts(
  nFunctions: number,
  schedule: Pick<Schedule, 'fnIndex'>,
  r: Answered,
): { latency: number[]; queue: number[]; run: number[]; outside: number[] }[] {
  const parts = Array.from({ length: nFunctions }, () => ({
    latency: [] as number[],
    queue: [] as number[],
    run: [] as number[],
    outside: [] as number[],
  }));
  for (let i = 0; i < r.outcome.length; i++) {
    if (r.outcome[i] !== OUTCOME_OK || !Number.isFinite(r.queueMs[i]) || !Number.isFinite(r.execMs[i])) continue;
    const p = parts[schedule.fnIndex[i]];
    p.latency.push(r.latencyMs[i]);
    p.queue.push(r.queueMs[i]);
    p.run.push(r.execMs[i]);
    p.outside.push(Math.max(0, r.latencyMs[i] - r.queueMs[i] - r.execMs[i]));
  }
  return parts;
}

/** Where each function's time went in a live run: p50 / p95 of each part of `latencyParts`. */
export function latencyBreakdown(nFunctions: number, schedule: Pick<Schedule, 'fnIndex'>, r: Answered): LatencyParts[] {
  const p50p95 = (xs: number[]): [number, number] => {
    xs.sort((a, b) => a - b);
    return [percentile(xs, 50), percentile(xs, 95)];
  };
  return latencyParts(nFunctions, schedule, r).map((p) => ({
    answered: p.latency.length,
    latency: p50p95(p.latency),
    queue: p50p95(p.queue),
    run: p50p95(p.run),
    outside: p50p95(p.outside),
  }));
}

/** The breakdown of several policies' runs as one markdown table (p50 / p95 per part). */
export function breakdownTable(fnNames: string[], runs: { policy: string; parts?: LatencyParts[] }[]): string {
  const pair = (x: [number, number]) => `${fmtMs(x[0])} / ${fmtMs(x[1])}`;
  const rows = runs.flatMap((run) =>
    (run.parts ?? []).map((p, k) => [
      fnNames[k],
      run.policy,
      String(p.answered),
      pair(p.latency),
      pair(p.queue),
      pair(p.run),
      pair(p.outside),
    ]),
  );
  return markdownTable(['function', 'policy', 'answered', 'latency p50 / p95 ms', 'worker queue', 'run', 'outside the worker'], rows, [
    'l',
    'l',
  ]);
}
