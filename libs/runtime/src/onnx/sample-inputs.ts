import { allocate, ModelInfo, PreparedRequest, Tensor, TensorSpec, toHalf } from '@epara/contracts';

/** Deterministic filler for synthetic inputs: small values that are valid for most models. */
function fill(spec: TensorSpec, shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = allocate(spec.datatype, n);
  if (data instanceof Float32Array || data instanceof Float64Array) for (let i = 0; i < n; i++) data[i] = Math.sin(i) * 0.5;
  else if (spec.datatype === 'FP16') for (let i = 0; i < n; i++) data[i] = toHalf(Math.sin(i) * 0.5);
  return { name: spec.name, datatype: spec.datatype, shape, data };
}

/**
 * Whether `sampleTensors` would have to guess a dimension: an input with a dynamic size outside its
 * batch axis (an image's height and width, an audio frame's length). The guess is 1, and a detector
 * timed on a 1 × 1 image reports 0.8 ms for what takes 30 ms on a real page, so such a model is
 * profiled with its first real request instead.
 */
export function hasGuessedDims(model: ModelInfo, dims: Record<string, number> = {}): boolean {
  return model.inputs.some((spec) => spec.shape.some((d, i) => i !== spec.batchAxis && typeof d !== 'number' && dims[d] === undefined));
}

/** One synthetic item for a model's signature: batch axis 1, symbolic dims from `dims` or 1 (profiling, probing pp stages). */
export function sampleTensors(model: ModelInfo, dims: Record<string, number> = {}): PreparedRequest {
  const inputs = model.inputs.map((spec) =>
    fill(
      spec,
      spec.shape.map((d, i) => (i === spec.batchAxis ? 1 : typeof d === 'number' ? d : (dims[d] ?? 1))),
    ),
  );
  return { inputs, items: 1, groupKey: 'sample' };
}
