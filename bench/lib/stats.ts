/** Percentiles, throughput and goodput of a run (see load.ts RunResult). */
import type { RunResult } from './load';

export interface Summary {
  sent: number;
  ok: number;
  failed: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  max: number;
  /** Successful completions per second. */
  throughput: number;
  /** Successful completions within the SLO per second (undefined without an SLO). */
  goodput?: number;
  /** Share of sent requests that completed within the SLO. */
  goodShare?: number;
  errors: Record<string, number>;
  errorSamples: Record<string, string>;
  windowMs: number;
}

/** Nearest-rank percentile of sorted values; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function summarize(r: RunResult, sloMs?: number): Summary {
  const sorted = Float64Array.from(r.latenciesMs).sort();
  const windowSec = r.windowMs / 1000;
  let mean = 0;
  for (const v of sorted) mean += v;
  mean = sorted.length ? mean / sorted.length : NaN;
  let good: number | undefined;
  if (sloMs !== undefined) {
    good = 0;
    for (const v of sorted) if (v <= sloMs) good++;
  }
  const failed = Object.values(r.errors).reduce((a, b) => a + b, 0);
  return {
    sent: r.sent,
    ok: r.ok,
    failed,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    mean,
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
    throughput: windowSec > 0 ? r.ok / windowSec : 0,
    goodput: good !== undefined && windowSec > 0 ? good / windowSec : undefined,
    goodShare: good !== undefined && r.sent > 0 ? good / r.sent : undefined,
    errors: r.errors,
    errorSamples: r.errorSamples,
    windowMs: r.windowMs,
  };
}

/** `429×12, 504×3` or `—`. */
export function formatErrors(s: Pick<Summary, 'errors'>): string {
  const e = Object.entries(s.errors).filter(([, n]) => n > 0);
  return e.length ? e.map(([k, n]) => `${k}×${n}`).join(', ') : '—';
}

// The report's formatters, under the names these benchmarks use.
export { fmtMs as ms, fmtRps as rps } from '@epara/goodput';

export function pct(v: number | undefined, digits = 0): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  return `${(v * 100).toFixed(digits)}%`;
}

export function mib(bytes: number | undefined): string {
  if (bytes === undefined) return '—';
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** `✔ ` / `✘ ` against a target (report only; benchmarks never fail on it). */
export function verdict(ok: boolean | undefined): string {
  return ok === undefined ? '?' : ok ? 'met' : 'missed';
}
