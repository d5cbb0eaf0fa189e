import { mulberry32 } from '@epara/runtime';
import { argmax, sampleToken } from './sampling';

describe(sampleToken.name, () => {
  const logits = Float32Array.from([0.1, 3, -1, 3, 2.9]);
  const unused = () => {
    throw new Error('greedy must not draw');
  };

  it.each([0, -1, NaN])('temperature %p is greedy: first index of the max, no draw', (t) => {
    expect(sampleToken(logits, t, unused)).toBe(1);
  });

  it('a draw follows softmax(logits / T)', () => {
    const random = mulberry32(11);
    const counts = [0, 0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[sampleToken(logits, 1, random)]++;
    const z = [...logits].map((l) => Math.exp(l - 3));
    const total = z.reduce((a, b) => a + b, 0);
    z.forEach((p, i) => expect(counts[i] / 4000).toBeCloseTo(p / total, 1));
  });

  it('a tiny temperature is nearly greedy among the top; a huge one nearly uniform', () => {
    const random = mulberry32(5);
    const cold = new Set(Array.from({ length: 200 }, () => sampleToken(logits, 0.01, random)));
    expect([...cold].every((i) => i === 1 || i === 3)).toBe(true);
    const hot = new Set(Array.from({ length: 500 }, () => sampleToken(logits, 1e6, random)));
    expect(hot.size).toBe(5);
  });
});

describe(argmax.name, () => {
  const plainScan = (x: Float32Array) => x.reduce((best, v, i) => (v > x[best] ? i : best), 0);

  it('gives the first index of the max, like a plain scan, at every length and position (ties across the 4-wide steps)', () => {
    const random = mulberry32(5);
    for (let n = 1; n <= 13; n++) {
      for (let at = 0; at < n; at++) {
        const x = Float32Array.from({ length: n }, () => random());
        x[at] = 2;
        if (at + 3 < n) x[at + 3] = 2; // a later equal max loses
        expect(argmax(x)).toBe(at);
        expect(argmax(x)).toBe(plainScan(x));
      }
    }
    const vocab = Float32Array.from({ length: 50257 }, () => random() * 16 - 8);
    expect(argmax(vocab)).toBe(plainScan(vocab));
  });

  it('empty or NaN first: 0', () => {
    expect(argmax(new Float32Array(0))).toBe(0);
    expect(argmax(Float32Array.from([NaN, 1, 2]))).toBe(0);
  });
});
