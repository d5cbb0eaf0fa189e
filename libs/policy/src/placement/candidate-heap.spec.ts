import { CandidateHeap } from './candidate-heap';

function drain(sut: CandidateHeap): [number, number, number][] {
  const out: [number, number, number][] = [];
  while (sut.size > 0) {
    out.push([sut.topKey(), sut.topF(), sut.topD()]);
    sut.pop();
  }
  return out;
}

describe(CandidateHeap.name, () => {
  const entries: [number, number, number][] = [
    [1, 0, 0],
    [5, 2, 1],
    [5, 1, 3],
    [3, 0, 1],
    [5, 1, 2],
    [-1, 4, 4],
  ];
  const sorted: [number, number, number][] = [
    [5, 1, 2],
    [5, 1, 3],
    [5, 2, 1],
    [3, 0, 1],
    [1, 0, 0],
    [-1, 4, 4],
  ];

  it.each([
    ['push', false],
    ['append + heapify', true],
  ])('%s: gain desc, then function, then device', (_name, bulk) => {
    const sut = new CandidateHeap(2); // grows past its start capacity
    for (const [k, f, d] of entries) (bulk ? sut.append : sut.push).call(sut, k, f, d);
    if (bulk) sut.heapify();
    expect(drain(sut)).toEqual(sorted);
  });

  it.each([
    [6, 9, 9, true],
    [5, 1, 1, true],
    [5, 1, 2, false],
    [4, 0, 0, false],
  ])('beatsTop(%p, %p, %p) → %p', (k, f, d, expected) => {
    const sut = new CandidateHeap();
    for (const [kk, ff, dd] of entries) sut.push(kk, ff, dd);
    expect(sut.beatsTop(k, f, d)).toBe(expected);
  });

  it('holds its order over many random operations', () => {
    const sut = new CandidateHeap(4);
    const model: [number, number, number][] = [];
    let s = 7;
    const rnd = (): number => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 600; i++) {
      if (rnd() < 0.6 || model.length === 0) {
        const e: [number, number, number] = [Math.floor(rnd() * 20), Math.floor(rnd() * 5), Math.floor(rnd() * 5)];
        model.push(e);
        sut.push(...e);
      } else {
        model.sort((a, b) => b[0] - a[0] || a[1] - b[1] || a[2] - b[2]);
        expect([sut.topKey(), sut.topF(), sut.topD()]).toEqual(model[0]);
        model.shift();
        sut.pop();
      }
      expect(sut.size).toBe(model.length);
    }
  });
});
