import { ctcDecode, recognitionClasses } from './recognition';

describe('recognitionClasses', () => {
  it('is the blank, the dictionary lines and a space (PP-OCR use_space_char)', () => {
    expect(recognitionClasses('a\nb\r\nc\n')).toEqual(['', 'a', 'b', 'c', ' ']);
  });
});

describe('ctcDecode', () => {
  const classes = ['', 'a', 'b', ' '];
  /** One row per step: the class that wins and its probability, the rest shared evenly. */
  const steps = (winners: [number, number][]) => {
    const probs = new Float32Array(winners.length * classes.length);
    winners.forEach(([c, p], t) => {
      for (let k = 0; k < classes.length; k++) probs[t * classes.length + k] = k === c ? p : (1 - p) / (classes.length - 1);
    });
    return probs;
  };

  it('merges repeats, drops blanks, and keeps a repeat that a blank separates', () => {
    const probs = steps([
      [1, 0.9],
      [1, 0.8],
      [0, 0.99],
      [1, 0.7],
      [2, 0.6],
      [2, 0.9],
      [3, 0.5],
    ]);
    const { text, confidence } = ctcDecode(probs, 7, classes);
    expect(text).toBe('aab ');
    // The first step of each kept run: 0.9, 0.7, 0.6, 0.5.
    expect(confidence).toBeCloseTo((0.9 + 0.7 + 0.6 + 0.5) / 4, 6);
  });

  it('gives empty text with confidence 0 when every step is blank', () => {
    expect(
      ctcDecode(
        steps([
          [0, 0.9],
          [0, 0.9],
        ]),
        2,
        classes,
      ),
    ).toEqual({ text: '', confidence: 0 });
  });

  it('refuses an output shorter than steps × classes', () => {
    expect(() => ctcDecode(new Float32Array(3), 2, classes)).toThrow('fewer than 2 steps × 4 classes');
  });
});
