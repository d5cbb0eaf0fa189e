import { mulberry32 } from '../synthetic/prng';
import { sampleToken } from './sampling';

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
