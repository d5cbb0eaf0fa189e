import { RunSummary, ScalePoint } from '@epara/goodput';

/** What a run at one rate scale attained: total, and the lowest function that was offered anything. */
export function pointOf(scale: number, r: RunSummary): ScalePoint {
  let min = { name: '—', attainment: 1 };
  for (const f of r.functions) if (f.offered > 0 && f.attainment < min.attainment) min = { name: f.name, attainment: f.attainment };
  return { scale, attainment: r.total.attainment, minFunctionAttainment: min.attainment, minFunction: min.name };
}

/**
 * Each scale run once, however many searches ask for it (the 99% and 90% searches share most of their
 * points); `onRun` sees each new point (for the progress lines).
 */
export function memoRuns(
  run: (scale: number) => ScalePoint,
  onRun?: (p: ScalePoint) => void,
): { runs: Map<number, ScalePoint>; evaluate: (scale: number) => ScalePoint } {
  const runs = new Map<number, ScalePoint>();
  const evaluate = (k: number): ScalePoint => {
    let p = runs.get(k);
    if (!p) {
      p = run(k);
      runs.set(k, p);
      onRun?.(p);
    }
    return p;
  };
  return { runs, evaluate };
}

export const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
