/** A profile's `execMsByBatch` parsed into parallel arrays sorted by batch size. */
export interface ExecTable {
  /** Batch sizes, ascending, integers ≥ 1. */
  sizes: number[];
  /** Execution time of one run at `sizes[i]`, ms. */
  ms: number[];
}

/**
 * Parses `execMsByBatch` (keys are batch sizes as strings). Keys that are not integers ≥ 1 and times
 * that are not finite and ≥ 0 are skipped: a profile is measured data and may be partial.
 */
export function parseExecTable(execMsByBatch: Readonly<Record<string, number>> | undefined): ExecTable {
  const pairs: [number, number][] = [];
  if (execMsByBatch) {
    for (const key of Object.keys(execMsByBatch)) {
      const size = Number(key);
      const ms = execMsByBatch[key];
      if (Number.isInteger(size) && size >= 1 && Number.isFinite(ms) && ms >= 0) pairs.push([size, ms]);
    }
  }
  pairs.sort((a, b) => a[0] - b[0]);
  return { sizes: pairs.map((p) => p[0]), ms: pairs.map((p) => p[1]) };
}

/**
 * Batch-1 time from a profile. When size 1 was not measured, the smallest measured size's time is used:
 * a batch never runs faster than a smaller one, so this is an upper bound, the safe side for SLO checks.
 */
export function batch1ExecMs(execMsByBatch: Readonly<Record<string, number>> | undefined): number | undefined {
  const t = parseExecTable(execMsByBatch);
  return t.sizes.length === 0 ? undefined : t.ms[0];
}
