import { checkSpeechHysteresis, SpeechEvent, SpeechState, stepSpeech } from './speech-hysteresis';

/** Feeds probabilities of 32 ms windows from t = 0 and collects the events. */
function events(probs: number[], minSilenceMs = 100): SpeechEvent[] {
  const state: SpeechState = { speaking: false };
  const out: SpeechEvent[] = [];
  probs.forEach((p, i) => {
    const e = stepSpeech(state, p, i * 32, 32, { threshold: 0.5, negThreshold: 0.35, minSilenceMs });
    if (e) out.push(e);
  });
  return out;
}

describe(stepSpeech.name, () => {
  it.each<[string, number[], SpeechEvent[]]>([
    ['silence: nothing', [0.01, 0.02, 0.1, 0.3, 0.49], []],
    ['speech starts at the first window at or above the threshold', [0.1, 0.5, 0.9], [{ type: 'start', atMs: 32 }]],
    [
      'ends after 100 ms below the lower threshold, at the start of the silence',
      [0.9, 0.9, 0.1, 0.1, 0.1, 0.1],
      [
        { type: 'start', atMs: 0 },
        { type: 'end', atMs: 64 },
      ],
    ],
    ['a dip shorter than the minimum silence does not end it', [0.9, 0.1, 0.1, 0.9, 0.1, 0.1, 0.9], [{ type: 'start', atMs: 0 }]],
    ['between the thresholds nothing changes (no flapping)', [0.9, 0.4, 0.36, 0.45, 0.4, 0.4, 0.4, 0.4], [{ type: 'start', atMs: 0 }]],
    [
      'a second utterance starts again',
      [0.9, 0.1, 0.1, 0.1, 0.1, 0.8],
      [
        { type: 'start', atMs: 0 },
        { type: 'end', atMs: 32 },
        { type: 'start', atMs: 160 },
      ],
    ],
  ])('%s', (_name, probs, expected) => expect(events(probs)).toEqual(expected));

  it('with no minimum silence, ends at the first silent window', () => {
    expect(events([0.9, 0.2], 0)).toEqual([
      { type: 'start', atMs: 0 },
      { type: 'end', atMs: 32 },
    ]);
  });
});

describe(checkSpeechHysteresis.name, () => {
  it.each([
    [{ threshold: 1, negThreshold: 0.3, minSilenceMs: 0 }, /threshold=1, expected a number in \(0, 1\)/],
    [{ threshold: 0.5, negThreshold: 0.6, minSilenceMs: 0 }, /negThreshold=0.6, expected a number in \(0, threshold=0.5\]/],
    [{ threshold: 0.5, negThreshold: 0.3, minSilenceMs: -1 }, /minSilenceMs=-1, expected ≥ 0/],
  ])('refuses %o', (p, message) => expect(() => checkSpeechHysteresis(p)).toThrow(message));
});
