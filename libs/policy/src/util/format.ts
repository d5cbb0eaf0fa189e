/**
 * Number formatting for decision reasons. Reasons are read by operators, so numbers are short:
 * two decimals below 10, one below 100, none above; trailing zeros dropped.
 */
export function fmtNum(x: number): string {
  if (x === Infinity) return '∞';
  if (x === -Infinity) return '-∞';
  if (Number.isNaN(x)) return 'NaN';
  const abs = Math.abs(x);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  const s = x.toFixed(digits);
  if (digits === 0) return s === '-0' ? '0' : s;
  // Drop trailing zeros, then a bare point ("3.10" → "3.1", "10.0" → "10"). By hand, not with a
  // regular expression: batching decisions format a reason on every call.
  let end = s.length;
  while (s.charCodeAt(end - 1) === 48 /* 0 */) end--;
  if (s.charCodeAt(end - 1) === 46 /* . */) end--;
  const trimmed = end === s.length ? s : s.slice(0, end);
  return trimmed === '-0' ? '0' : trimmed;
}

/** Milliseconds, e.g. `3.1 ms`. */
export function fmtMs(ms: number): string {
  return `${fmtNum(ms)} ms`;
}

const BYTE_UNITS: readonly [number, string][] = [
  [1e9, 'GB'],
  [1e6, 'MB'],
  [1e3, 'kB'],
];

/** Bytes in decimal units (1 MB = 10^6 B), e.g. `9.4 MB`. */
export function fmtBytes(bytes: number): string {
  for (const [scale, unit] of BYTE_UNITS) {
    if (Math.abs(bytes) >= scale) return `${fmtNum(bytes / scale)} ${unit}`;
  }
  return `${fmtNum(bytes)} B`;
}

/** At most `max` items joined by ', ', then `…and N more`: keeps reasons short on big clusters. */
export function fmtList(items: readonly string[], max = 5): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} …and ${items.length - max} more`;
}
