/** Nearest-rank percentile (p in [0, 100]) of ascending values; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const rank = Math.ceil((p / 100) * n);
  return sorted[Math.min(n - 1, Math.max(0, rank - 1))];
}

/** Mean of the values; NaN when empty. */
export function mean(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return NaN;
  let s = 0;
  for (let i = 0; i < n; i++) s += values[i];
  return s / n;
}

/** A growable Float64Array: appends without boxing, for millions of latencies. */
export class FloatList {
  private buf: Float64Array;
  length = 0;

  constructor(initial = 256) {
    this.buf = new Float64Array(initial);
  }

  push(v: number): void {
    if (this.length === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = v;
  }

  /** A sorted copy (the list itself is left as is). */
  sorted(): Float64Array {
    return this.buf.slice(0, this.length).sort();
  }

  values(): Float64Array {
    return this.buf.subarray(0, this.length);
  }
}
