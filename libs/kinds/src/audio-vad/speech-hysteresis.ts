/**
 * Speech start/end from per-window speech probabilities, with hysteresis (as Silero VAD's own
 * `VADIterator`, silero-vad `utils_vad.py`): speech starts at the first window at or above `threshold`;
 * it ends once the probability has stayed below `negThreshold` for `minSilenceMs`, at the start of that
 * silence. Between the two thresholds nothing changes, so a flickering probability does not flap.
 * Pure: the caller keeps the state and feeds windows in order.
 */
export interface SpeechHysteresisParams {
  /** Probability at or above which speech starts, in (0, 1). Default 0.5 (Silero's). */
  readonly threshold: number;
  /** Probability below which a window counts as silence while speaking, in (0, threshold]. Default threshold − 0.15. */
  readonly negThreshold: number;
  /** Silence this long ends speech, ms. Min 0. Default 100 (Silero's `min_silence_duration_ms`). */
  readonly minSilenceMs: number;
}

export const DEFAULT_SPEECH_HYSTERESIS: Readonly<SpeechHysteresisParams> = Object.freeze({
  threshold: 0.5,
  negThreshold: 0.35,
  minSilenceMs: 100,
});

export interface SpeechState {
  speaking: boolean;
  /** While speaking: where the current run of silent windows began, ms; undefined when none. */
  silenceSinceMs?: number;
}

export type SpeechEvent = { type: 'start'; atMs: number } | { type: 'end'; atMs: number };

/** Checks params once (a wrong option names itself). */
export function checkSpeechHysteresis(p: SpeechHysteresisParams): SpeechHysteresisParams {
  if (!(p.threshold > 0 && p.threshold < 1)) throw new Error(`speech hysteresis: threshold=${p.threshold}, expected a number in (0, 1)`);
  if (!(p.negThreshold > 0 && p.negThreshold <= p.threshold))
    throw new Error(`speech hysteresis: negThreshold=${p.negThreshold}, expected a number in (0, threshold=${p.threshold}]`);
  if (!(p.minSilenceMs >= 0)) throw new Error(`speech hysteresis: minSilenceMs=${p.minSilenceMs}, expected ≥ 0`);
  return p;
}

/**
 * One window: its probability `prob`, the stream time at its start `startMs` and its length
 * `windowMs`. Updates `state` in place and returns the event it causes, if any.
 */
export function stepSpeech(
  state: SpeechState,
  prob: number,
  startMs: number,
  windowMs: number,
  p: SpeechHysteresisParams = DEFAULT_SPEECH_HYSTERESIS,
): SpeechEvent | undefined {
  if (!state.speaking) {
    if (prob < p.threshold) return undefined;
    state.speaking = true;
    state.silenceSinceMs = undefined;
    return { type: 'start', atMs: startMs };
  }
  if (prob >= p.negThreshold) {
    state.silenceSinceMs = undefined;
    return undefined;
  }
  state.silenceSinceMs ??= startMs;
  if (startMs + windowMs - state.silenceSinceMs < p.minSilenceMs) return undefined;
  const atMs = state.silenceSinceMs;
  state.speaking = false;
  state.silenceSinceMs = undefined;
  return { type: 'end', atMs };
}
