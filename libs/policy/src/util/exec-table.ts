/** A profile's `execMsByBatch` parsed into parallel arrays sorted by batch size. */
export interface ExecTable {
  /** Batch sizes, ascending, integers ≥ 1. */
  readonly sizes: readonly number[];
  /** Execution time of one run at `sizes[i]`, ms. */
  readonly ms: readonly number[];
}

const EMPTY: ExecTable = { sizes: [], ms: [] };
/**
 * Parsed tables by profile object. A profile is a value: records are replaced whole when they change,
 * never edited in place, so one parse serves every later call (the batching choice reads the same
 * profile on every retune, the simulator millions of times per run).
 */
const parsed = new WeakMap<Readonly<Record<string, number>>, ExecTable>();

/**
 * Parses `execMsByBatch` (keys are batch sizes as strings). Keys that are not integers ≥ 1 and times
 * that are not finite and ≥ 0 are skipped: a profile is measured data and may be partial.
 */
export function parseExecTable(execMsByBatch: Readonly<Record<string, number>> | undefined): ExecTable {
  if (!execMsByBatch) return EMPTY;
  const cached = parsed.get(execMsByBatch);
  if (cached) return cached;
  const pairs: [number, number][] = [];
  for (const key of Object.keys(execMsByBatch)) {
    const size = Number(key);
    const ms = execMsByBatch[key];
    if (Number.isInteger(size) && size >= 1 && Number.isFinite(ms) && ms >= 0) pairs.push([size, ms]);
  }
  pairs.sort((a, b) => a[0] - b[0]);
  const table: ExecTable = { sizes: pairs.map((p) => p[0]), ms: pairs.map((p) => p[1]) };
  parsed.set(execMsByBatch, table);
  return table;
}

/**
 * Batch-1 time from a profile. When size 1 was not measured, the smallest measured size's time is used:
 * a batch never runs faster than a smaller one, so this is an upper bound, the safe side for SLO checks.
 */
export function batch1ExecMs(execMsByBatch: Readonly<Record<string, number>> | undefined): number | undefined {
  const t = parseExecTable(execMsByBatch);
  return t.sizes.length === 0 ? undefined : t.ms[0];
}
