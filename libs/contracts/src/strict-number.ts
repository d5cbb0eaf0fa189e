/** Bounds of a number read from text (an env variable, a request header). */
export interface NumberBounds {
  /** Whole numbers only (ports, counts, milliseconds). */
  integer?: boolean;
  min?: number;
  max?: number;
}

// Plain decimal only: Number() would also take '', ' ', '0x1f', '1e3' and 'Infinity'.
const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)$/;

/** `text` (trimmed) as a plain decimal number within `bounds`, or undefined when it is anything else. */
export function strictNumber(text: string, bounds: NumberBounds = {}): number | undefined {
  const trimmed = text.trim();
  if (!(bounds.integer ? INTEGER : DECIMAL).test(trimmed)) return undefined;
  const value = Number(trimmed);
  const ok =
    Number.isFinite(value) &&
    (!bounds.integer || Number.isSafeInteger(value)) &&
    (bounds.min === undefined || value >= bounds.min) &&
    (bounds.max === undefined || value <= bounds.max);
  return ok ? value : undefined;
}

/** What `bounds` accept, in words: "an integer from 1 to 64", "a number of at least 0". */
export function describeBounds(bounds: NumberBounds): string {
  const what = bounds.integer ? 'an integer' : 'a number';
  if (bounds.min !== undefined && bounds.max !== undefined) return `${what} from ${bounds.min} to ${bounds.max}`;
  if (bounds.min !== undefined) return `${what} of at least ${bounds.min}`;
  if (bounds.max !== undefined) return `${what} of at most ${bounds.max}`;
  return what;
}
