import { allocate, EparaError, Tensor, TensorSpec, TypedArray } from '@epara/contracts';

/** Product of shape[from..to). */
function span(shape: readonly number[], from: number, to: number): number {
  let n = 1;
  for (let i = from; i < to; i++) n *= shape[i];
  return n;
}

/**
 * Concatenates the same input of several requests along its batch axis (one copy per request slice).
 * Inputs without a batch axis must be identical across requests (the caller groups by them) and pass through.
 */
export function stackTensors(parts: Tensor[], spec: TensorSpec): Tensor {
  if (parts.length === 1) return parts[0];
  const axis = spec.batchAxis;
  if (axis === null) return parts[0];
  const first = parts[0];
  const shape = first.shape.slice();
  shape[axis] = parts.reduce((n, t) => n + t.shape[axis], 0);
  const outer = span(first.shape, 0, axis);
  const inner = span(first.shape, axis + 1, first.shape.length);
  const out = allocate(first.datatype, span(shape, 0, shape.length));
  let offset = 0;
  for (let o = 0; o < outer; o++) {
    for (const t of parts) {
      const len = t.shape[axis] * inner;
      out.set(t.data.subarray(o * len, (o + 1) * len) as never, offset);
      offset += len;
    }
  }
  return { name: first.name, datatype: first.datatype, shape, data: out };
}

/** Splits a batched output back into per-request tensors, `counts[i]` items each, along its batch axis. */
export function splitTensor(t: Tensor, spec: TensorSpec | undefined, counts: readonly number[]): Tensor[] {
  if (counts.length === 1) return [t];
  const axis = spec?.batchAxis ?? null;
  if (axis === null) throw new EparaError(500, `output "${t.name}" has no batch axis; it cannot be split across a batch`);
  const total = counts.reduce((a, b) => a + b, 0);
  if (t.shape[axis] !== total)
    throw new EparaError(500, `output "${t.name}" has ${t.shape[axis]} items on its batch axis, expected ${total}`);
  const outer = span(t.shape, 0, axis);
  const inner = span(t.shape, axis + 1, t.shape.length);
  const parts: Tensor[] = counts.map((n) => {
    const shape = t.shape.slice();
    shape[axis] = n;
    return { name: t.name, datatype: t.datatype, shape, data: allocate(t.datatype, outer * n * inner) };
  });
  let offset = 0;
  const written = new Array<number>(counts.length).fill(0);
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < counts.length; r++) {
      const len = counts[r] * inner;
      (parts[r].data as TypedArray).set(t.data.subarray(offset, offset + len) as never, written[r]);
      written[r] += len;
      offset += len;
    }
  }
  return parts;
}
