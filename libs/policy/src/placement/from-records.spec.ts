import { assignmentFor } from './from-records';

describe('assignmentFor', () => {
  const profile = { '1': 10, '2': 12, '4': 16, '8': 24 };

  it('lets a stage of a frequency-sensitive pipeline wait for a batch, as batch mode does', () => {
    const pp = assignmentFor('pp', 1000, profile, undefined, true, 'frequency');
    expect(pp).toEqual({ ...assignmentFor('batch', 1000, profile, undefined, true), mode: 'pp' });
    expect(pp.maxQueueDelayMs).toBeGreaterThan(0);
  });

  it('runs a stage of a latency-sensitive pipeline on what is queued, without waiting, as dp does', () => {
    const pp = assignmentFor('pp', 1000, profile, undefined, true, 'latency');
    expect(pp).toEqual({ ...assignmentFor('dp', 1000, profile, undefined, true), mode: 'pp' });
    expect(pp.maxQueueDelayMs).toBe(0);
  });
});
