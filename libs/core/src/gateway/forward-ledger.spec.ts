import { ForwardLedger } from './forward-ledger';

describe(ForwardLedger.name, () => {
  it('gives back, once, the requests of a gone device: within their deadline to resend, past it (within notice) to answer', () => {
    const l = new ForwardLedger<string>(500);
    l.record('cpu-0', 1_100, 'a', 1_000);
    l.record('cpu-0', 1_500, 'b', 1_010);
    l.record('cpu-0', 500, 'old', 400); // past its deadline by more than the notice at 1_200
    l.record('cpu-1', 1_500, 'c', 1_020);
    expect(l.takeGone('cpu-0', 1_200)).toEqual({ resend: ['b'], late: ['a'] });
    expect(l.takeGone('cpu-0', 1_200)).toEqual({ resend: [], late: [] });
    expect(l.takeGone('cpu-1', 1_200)).toEqual({ resend: ['c'], late: [] });
  });

  it('forgets requests past their notice period as new ones are recorded, so a busy device does not grow it', () => {
    const l = new ForwardLedger<number>(100);
    for (let t = 0; t < 10_000; t++) l.record('cpu-0', t + 50, t, t);
    expect(l.size('cpu-0')).toBeLessThanOrEqual(151);
  });

  it('gives back, once, what was sent to a device since its connection dropped and is still within its deadline', () => {
    const l = new ForwardLedger<string>(500);
    l.record('cpu-0', 2_000, 'before', 900);
    l.record('cpu-0', 2_000, 'during', 1_100);
    l.record('cpu-0', 1_150, 'expired', 1_050);
    l.record('cpu-1', 2_000, 'other', 1_100);
    expect(l.takeSentSince('cpu-0', 1_000, 1_200)).toEqual(['during']);
    expect(l.takeSentSince('cpu-0', 1_000, 1_200)).toEqual([]);
    // The rest stay for a later verdict: gone after all.
    expect(l.takeGone('cpu-0', 1_200)).toEqual({ resend: ['before'], late: ['expired'] });
  });
});
