import { parseWorkload } from '../workload';
import { calibratedWorkload, execAt1 } from './calibrate';
import { OUTCOME_OK } from './replay';

describe(calibratedWorkload.name, () => {
  const w = parseWorkload({
    durationS: 10,
    devices: { count: 1, memoryBytes: '1GiB' },
    functions: [
      { name: 'a', profile: 'cnn', sloMs: 15 },
      { name: 'b', profile: 'ocr_det', sloMs: 100 },
    ],
    streams: [{ function: 'a', arrival: { kind: 'poisson', rate: 1 } }],
  });

  it('scales each profile by its median live batch-1 run time over the profile’s, and leaves thin samples alone', () => {
    // a: 11 replies of batch 1 at 1.02 ms (profile 0.51 → ×2), one at batch 8 and one error that must not count;
    // b: 3 replies only → unchanged.
    const fnIndex = Uint32Array.from([...Array(13).fill(0), 1, 1, 1]);
    const execMs = Float32Array.from([...Array(11).fill(1.02), 9, 50, 60, 60, 60]);
    const batchSize = Uint16Array.from([...Array(11).fill(1), 8, 1, 1, 1, 1]);
    const outcome = Int32Array.from([...Array(12).fill(OUTCOME_OK), 504, OUTCOME_OK, OUTCOME_OK, OUTCOME_OK]);
    const { workload, factors } = calibratedWorkload(w, { fnIndex }, { execMs, batchSize, outcome });
    expect(factors[0]).toBeCloseTo(2, 2);
    expect(factors[1]).toBe(1);
    expect(workload.functions[0].profile.execMsByBatch['8']).toBeCloseTo(2 * w.functions[0].profile.execMsByBatch['8'], 2);
    expect(workload.functions[1].profile).toEqual(w.functions[1].profile);
    expect(w.functions[0].profile.execMsByBatch['1']).toBe(0.51); // the input is not modified
  });

  it('execAt1 takes the batch-1 entry, else the smallest batch per item', () => {
    expect(execAt1({ '1': 3, '8': 10 })).toBe(3);
    expect(execAt1({ '8': 16, '4': 10 })).toBe(2.5);
  });
});
