import sharp from 'sharp';

/** One line of a generated test image. */
export interface RenderedLine {
  text: string;
  x: number;
  baseline: number;
  fontSize: number;
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A PNG of black DejaVu Sans lines on white (fontconfig finds the font from fonts-dejavu-core),
 * the whole page turned by `rotateDeg` about its centre: for OCR accuracy tests with known text.
 */
export function renderTextImage(width: number, height: number, lines: readonly RenderedLine[], rotateDeg = 0): Promise<Buffer> {
  const text = lines
    .map(
      (l) =>
        `<text x="${l.x}" y="${l.baseline}" font-family="DejaVu Sans" font-size="${l.fontSize}" fill="#000">${escapeXml(l.text)}</text>`,
    )
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#fff"/><g transform="rotate(${rotateDeg} ${width / 2} ${height / 2})">${text}</g></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** Levenshtein distance between two strings, by code points. */
export function editDistance(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[y.length];
}

/** Character accuracy, 1 − CER: the lines joined by newlines, runs of spaces read as one. */
export function characterAccuracy(expected: readonly string[], got: readonly string[]): number {
  const norm = (lines: readonly string[]) => lines.map((l) => l.trim().replace(/\s+/g, ' ')).join('\n');
  const ref = norm(expected);
  return Math.max(0, 1 - editDistance(ref, norm(got)) / [...ref].length);
}
