/** Number formats for report tables. Every one prints `—` for undefined / NaN / Infinity. */

/** Milliseconds with sensible precision: 0.123, 1.23, 12.3, 123. */
export function fmtMs(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  return a < 1 ? v.toFixed(3) : a < 10 ? v.toFixed(2) : a < 100 ? v.toFixed(1) : v.toFixed(0);
}

/** Requests per second: 12.3 below 100, else a rounded integer with thousands separators. */
export function fmtRps(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  return Math.abs(v) < 100 ? v.toFixed(1) : Math.round(v).toLocaleString('en-US');
}

/** A share in [0, 1] as a percentage: 0.987 → 98.7%. */
export function fmtPct(v: number | undefined, digits = 1): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  return `${(v * 100).toFixed(digits)}%`;
}

/** A ratio: 1.23×. */
export function fmtRatio(v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return '—';
  if (!Number.isFinite(v)) return '∞';
  return `${v < 10 ? v.toFixed(2) : v.toFixed(1)}×`;
}

/** A count: 12,345. */
export function fmtCount(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  return Math.round(v).toLocaleString('en-US');
}
