import { ModelInfo, TensorSpec } from '@epara/contracts';
import { hasGuessedDims } from './sample-inputs';

const model = (...inputs: TensorSpec[]): ModelInfo => ({
  sha256: 'x',
  sizeBytes: 1,
  format: 'onnx',
  inputs,
  outputs: [],
  batchable: true,
  source: 'test',
});

describe(hasGuessedDims.name, () => {
  it('is false when only the batch axis is dynamic (the sample is exact)', () => {
    expect(hasGuessedDims(model({ name: 'x', datatype: 'FP32', shape: ['N', 3, 64, 64], batchAxis: 0 }))).toBe(false);
    expect(hasGuessedDims(model({ name: 'x', datatype: 'FP32', shape: [2, 4], batchAxis: null }))).toBe(false);
  });

  it("is true when a size outside the batch axis is dynamic (a detector's height and width, an audio frame), unless given", () => {
    const det = model({ name: 'x', datatype: 'FP32', shape: ['N', 3, 'H', 'W'], batchAxis: 0 });
    expect(hasGuessedDims(det)).toBe(true);
    expect(hasGuessedDims(det, { H: 320, W: 320 })).toBe(false);
    // Silero VAD: unnamed dynamic frame length, state batched on axis 1.
    expect(hasGuessedDims(model({ name: 'input', datatype: 'FP32', shape: ['', ''], batchAxis: 0 }), {})).toBe(true);
  });
});
