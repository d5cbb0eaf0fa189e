/** The recognizer's classes: index 0 is the CTC blank, then the dictionary's lines, then a space (PP-OCR's use_space_char). */
export function recognitionClasses(dictionary: string): string[] {
  const lines = dictionary.split('\n').map((l) => l.replace(/\r$/, ''));
  if (lines[lines.length - 1] === '') lines.pop();
  return ['', ...lines, ' '];
}

export interface RecognizedText {
  text: string;
  /** Mean probability of the characters kept, 0 when none was. */
  confidence: number;
}

/**
 * Greedy CTC decoding of one line (PP-OCR's CTCLabelDecode): the most probable class per time step,
 * repeats merged, blanks dropped. `probs` holds `steps` rows of `classes.length` probabilities.
 */
export function ctcDecode(probs: Float32Array, steps: number, classes: readonly string[]): RecognizedText {
  const n = classes.length;
  if (probs.length < steps * n) throw new Error(`recognizer output has ${probs.length} values, fewer than ${steps} steps × ${n} classes`);
  let text = '';
  let sum = 0;
  let kept = 0;
  let previous = -1;
  for (let t = 0; t < steps; t++) {
    const row = t * n;
    let best = 0;
    let bestP = probs[row];
    for (let c = 1; c < n; c++) {
      if (probs[row + c] > bestP) {
        bestP = probs[row + c];
        best = c;
      }
    }
    if (best !== 0 && best !== previous) {
      text += classes[best];
      sum += bestP;
      kept++;
    }
    previous = best;
  }
  return { text, confidence: kept ? sum / kept : 0 };
}
