import { parseWorkload } from '@epara/workload';
import { calibratedWorkload, execAt1, pathDelays } from './calibrate';
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
    // Each run's spread around the median: 11 × 1.0 for a; none for b (too few samples).
    expect(workload.functions[0].execFactorSamples).toEqual(Array(11).fill(1));
    expect(workload.functions[1].execFactorSamples).toBeUndefined();
    expect(workload.functions[0].pathDelayMs).toBeUndefined();
  });

  it('pathDelays pools latency − queue − run over runs and counts a too-late arrival as twice the SLO', () => {
    const fnIndex = Uint32Array.from([0, 0, 1, 0]);
    const run = (late: number[]) => ({
      latencyMs: Float64Array.from([10, 12, 80, NaN]),
      queueMs: Float32Array.from([1, 2, 10, NaN]),
      execMs: Float32Array.from([1, 1, 30, NaN]),
      outcome: Int32Array.from([OUTCOME_OK, OUTCOME_OK, OUTCOME_OK, 504]),
      lateArrival: Uint8Array.from(late),
    });
    const d = pathDelays(w, { fnIndex }, [run([0, 0, 0, 1]), run([0, 0, 0, 0])]);
    expect(d[0].sort((a, b) => a - b)).toEqual([8, 8, 9, 9, 30]); // a: 8, 9 twice; the late one as 2 × 15 ms
    expect(d[1]).toEqual([40, 40]);
    const { workload } = calibratedWorkload(
      w,
      { fnIndex },
      { execMs: new Float32Array(4), batchSize: new Uint16Array(4), outcome: new Int32Array(4) },
      d,
    );
    expect(workload.functions[1].pathDelayMs).toEqual([40, 40]);
  });

  it('execAt1 takes the batch-1 entry, else the smallest batch per item', () => {
    expect(execAt1({ '1': 3, '8': 10 })).toBe(3);
    expect(execAt1({ '8': 16, '4': 10 })).toBe(2.5);
  });
});
