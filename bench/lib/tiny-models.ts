import { Tensor } from '@epara/contracts';
import { buildAdd, buildMlp } from '@epara/runtime';

/** A model the overhead benchmarks serve, with one request's inputs. */
export interface ModelCase {
  name: string;
  bytes: Uint8Array;
  inputs: Tensor[];
}

/**
 * The two tiny models whose run is far cheaper than the platform around it, so that what is measured is
 * the platform: `mlp` (256 → hidden → out, a ~45 µs run) and `add` (two [1, 4] tensors, a ~27 µs run).
 */
export const TINY_MODELS: readonly ModelCase[] = [
  {
    name: 'mlp',
    bytes: buildMlp(),
    inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 256], data: Float32Array.from({ length: 256 }, (_, i) => Math.sin(i)) }],
  },
  {
    name: 'add',
    bytes: buildAdd(),
    inputs: [
      { name: 'a', datatype: 'FP32', shape: [1, 4], data: new Float32Array([1, 2, 3, 4]) },
      { name: 'b', datatype: 'FP32', shape: [1, 4], data: new Float32Array([0.5, 0.25, -1, 10]) },
    ],
  },
];

export function tinyModel(name: string): ModelCase {
  const m = TINY_MODELS.find((x) => x.name === name);
  if (!m) throw new Error(`no tiny model "${name}"; expected one of ${TINY_MODELS.map((x) => x.name).join(', ')}`);
  return m;
}

/** One request to `m` as the Open Inference Protocol's JSON (numbers as a flat array). */
export const jsonBody = (m: ModelCase): string =>
  JSON.stringify({
    inputs: m.inputs.map((t) => ({ name: t.name, shape: t.shape, datatype: t.datatype, data: Array.from(t.data as Float32Array) })),
  });
