/** A latency histogram as Prometheus keeps it: upper bounds (ascending, the last may be Infinity) and cumulative counts. */
export interface CumulativeHistogram {
  /** Upper bound of each bucket (`le`), ascending; a last bound of Infinity is the `+Inf` bucket. */
  bounds: readonly number[];
  /** Observations ≤ each bound (cumulative, as the `_bucket` series are). */
  counts: readonly number[];
}

/**
 * The q-quantile (0..1) of a cumulative histogram, interpolated linearly inside its bucket as
 * Prometheus' `histogram_quantile` does, so the page and a Grafana panel agree; a quantile in the
 * `+Inf` bucket is the highest finite bound. NaN when the histogram holds no observation.
 */
export function histogramQuantile(q: number, h: CumulativeHistogram): number {
  const n = h.counts.length;
  const total = n ? h.counts[n - 1] : 0;
  if (!(total > 0)) return NaN;
  const rank = q * total;
  let i = 0;
  while (i < n - 1 && h.counts[i] < rank) i++;
  const upper = h.bounds[i];
  if (!Number.isFinite(upper)) return i > 0 ? h.bounds[i - 1] : NaN;
  const lower = i > 0 ? h.bounds[i - 1] : 0;
  const below = i > 0 ? h.counts[i - 1] : 0;
  const inBucket = h.counts[i] - below;
  return inBucket > 0 ? lower + (upper - lower) * ((rank - below) / inBucket) : upper;
}

/**
 * What a cumulative histogram gained between two reads (`before` undefined: everything so far). A
 * count that went down means the series restarted (its function was deleted and deployed again, or
 * the bounds changed): then the later read alone is the gain.
 */
export function histogramDelta(after: CumulativeHistogram, before?: CumulativeHistogram): CumulativeHistogram {
  const comparable =
    before !== undefined &&
    before.bounds.length === after.bounds.length &&
    before.bounds.every((b, i) => b === after.bounds[i]) &&
    before.counts.every((c, i) => c <= after.counts[i]);
  return comparable ? { bounds: after.bounds, counts: after.counts.map((c, i) => c - before.counts[i]) } : after;
}
