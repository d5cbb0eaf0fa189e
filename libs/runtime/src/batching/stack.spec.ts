import { Tensor, TensorSpec } from '@epara/contracts';
import { splitTensor, stackTensors } from './stack';

const t = (shape: number[], values: number[]): Tensor => ({ name: 'x', datatype: 'FP32', shape, data: new Float32Array(values) });

describe(stackTensors.name, () => {
  it('stacks along axis 0 and splits back', () => {
    const spec: TensorSpec = { name: 'x', datatype: 'FP32', shape: ['batch', 2], batchAxis: 0 };
    const s = stackTensors([t([1, 2], [1, 2]), t([2, 2], [3, 4, 5, 6])], spec);
    expect(s.shape).toEqual([3, 2]);
    expect(Array.from(s.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    const parts = splitTensor(s, spec, [1, 2]);
    expect(parts.map((p) => Array.from(p.data as Float32Array))).toEqual([
      [1, 2],
      [3, 4, 5, 6],
    ]);
  });

  it('stacks along an inner batch axis (Silero state [2, batch, n]) and splits back exactly', () => {
    const spec: TensorSpec = { name: 'state', datatype: 'FP32', shape: [2, 'batch', 2], batchAxis: 1 };
    const a = t([2, 1, 2], [1, 2, 3, 4]);
    const b = t([2, 1, 2], [5, 6, 7, 8]);
    const s = stackTensors([a, b], spec);
    expect(s.shape).toEqual([2, 2, 2]);
    expect(Array.from(s.data as Float32Array)).toEqual([1, 2, 5, 6, 3, 4, 7, 8]);
    const [pa, pb] = splitTensor(s, spec, [1, 1]);
    expect(Array.from(pa.data as Float32Array)).toEqual([1, 2, 3, 4]);
    expect(Array.from(pb.data as Float32Array)).toEqual([5, 6, 7, 8]);
  });

  it('passes unbatched inputs through', () => {
    const spec: TensorSpec = { name: 'sr', datatype: 'FP32', shape: [], batchAxis: null };
    expect(stackTensors([t([], [16000]), t([], [16000])], spec).shape).toEqual([]);
  });
});
