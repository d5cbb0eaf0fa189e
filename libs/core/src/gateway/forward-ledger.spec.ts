import { ForwardLedger } from './forward-ledger';

describe(ForwardLedger.name, () => {
  it('gives back, once, the requests of a gone device that are still within their deadline', () => {
    const l = new ForwardLedger<string>();
    l.record('cpu-0', 1_100, 'a', 1_000);
    l.record('cpu-0', 1_500, 'b', 1_010);
    l.record('cpu-1', 1_500, 'c', 1_020);
    expect(l.takeOpen('cpu-0', 1_200)).toEqual(['b']); // a's deadline passed
    expect(l.takeOpen('cpu-0', 1_200)).toEqual([]);
    expect(l.takeOpen('cpu-1', 1_200)).toEqual(['c']);
  });

  it('forgets expired requests as new ones are recorded, so a busy device does not grow it', () => {
    const l = new ForwardLedger<number>();
    for (let t = 0; t < 10_000; t++) l.record('cpu-0', t + 50, t, t);
    expect(l.size('cpu-0')).toBeLessThanOrEqual(51);
  });
});
