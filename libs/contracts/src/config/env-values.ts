import { describeBounds, NumberBounds, strictNumber } from '../strict-number';

/**
 * Strict parsing of environment values, shared by every app: a typo must stop the app at start with
 * the variable's name and what it accepts, not turn silently into `false`, `NaN` or a default.
 */

const TRUE_WORDS = ['1', 'true', 'on', 'yes'];
const FALSE_WORDS = ['0', 'false', 'off', 'no'];

/** What a boolean variable accepts (any case), for messages and docs. */
export const BOOLEAN_ENV_WORDS = [...TRUE_WORDS, ...FALSE_WORDS].join('/');

/** `1/0/true/false/on/off/yes/no`, case-insensitive; anything else (empty included) throws naming `name`. */
export function parseBooleanEnv(name: string, raw: string): boolean {
  const word = raw.trim().toLowerCase();
  if (TRUE_WORDS.includes(word)) return true;
  if (FALSE_WORDS.includes(word)) return false;
  throw new Error(`${name} must be one of ${BOOLEAN_ENV_WORDS} (any case)`);
}

export type NumberEnvOptions = NumberBounds;

/** A decimal integer or number within the bounds; `12abc`, empty, `NaN` or out of range throws naming `name`. */
export function parseNumberEnv(name: string, raw: string, options: NumberEnvOptions = {}): number {
  const value = strictNumber(raw, options);
  if (value === undefined) throw new Error(`${name} must be ${describeBounds(options)}`);
  return value;
}
