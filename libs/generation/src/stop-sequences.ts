/**
 * Stop sequences over streamed text (OpenAI semantics: generation ends at the first stop string and
 * the stop string itself is not returned). A stream must hold back any tail that could still become
 * a stop string, or it would emit text it later has to take back.
 */

/** Index of the earliest stop-string occurrence in `text`, or -1. Empty stop strings are ignored. */
export function findStop(text: string, stops: readonly string[]): number {
  let first = -1;
  for (const stop of stops) {
    if (!stop) continue;
    const i = text.indexOf(stop);
    if (i >= 0 && (first < 0 || i < first)) first = i;
  }
  return first;
}

/** Length of the longest tail of `text` that is a proper prefix of some stop string: what to hold back. */
export function heldTailLength(text: string, stops: readonly string[]): number {
  let held = 0;
  for (const stop of stops) {
    for (let k = Math.min(stop.length - 1, text.length); k > held; k--) {
      if (text.endsWith(stop.slice(0, k))) {
        held = k;
        break;
      }
    }
  }
  return held;
}
