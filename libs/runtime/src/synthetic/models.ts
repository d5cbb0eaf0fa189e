import { onnx } from 'onnx-proto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeModel, floatInitializer, floatValueInfo, intAttr, intsAttr, node } from './onnx-builder';
import { mulberry32, uniform } from './prng';

/**
 * Deterministic synthetic ONNX models for tests and micro-benchmarks. Weights are random but seeded,
 * so a given set of options always produces the same bytes. Every model has a symbolic `batch` dim.
 */

export interface MlpOptions {
  inputSize?: number;
  hidden?: number[];
  outputs?: number;
  seed?: number;
}

export interface CnnOptions {
  /** Height and width of the square input image. */
  size?: number;
  seed?: number;
  /** Output channels of the three conv layers (default 16, 32, 64): wider layers make a heavier model for the same input. */
  widths?: [number, number, number];
}

/** Uniform init scaled by 1/sqrt(fanIn) (LeCun-style) so activations stay O(1) through the layers. */
function weights(random: () => number, count: number, fanIn: number): Float32Array {
  return uniform(random, count, 1 / Math.sqrt(fanIn));
}

/** MLP: `x` FP32 [batch, inputSize] → Gemm+Relu per hidden layer → `logits` [batch, outputs]. */
export function buildMlp(opts: MlpOptions = {}): Uint8Array {
  const { inputSize = 256, hidden = [512, 512], outputs = 10, seed = 1 } = opts;
  const random = mulberry32(seed);
  const sizes = [inputSize, ...hidden, outputs];
  const nodes = [];
  const initializer = [];
  let current = 'x';
  for (let layer = 0; layer < sizes.length - 1; layer++) {
    const [fanIn, fanOut] = [sizes[layer], sizes[layer + 1]];
    const last = layer === sizes.length - 2;
    const [w, b] = [`W${layer + 1}`, `b${layer + 1}`];
    // Gemm with transB=1 keeps W in [out, in] layout, the usual layout of a linear layer.
    initializer.push(floatInitializer(w, [fanOut, fanIn], weights(random, fanOut * fanIn, fanIn)));
    initializer.push(floatInitializer(b, [fanOut], uniform(random, fanOut, 0.01)));
    const gemmOut = last ? 'logits' : `h${layer + 1}`;
    nodes.push(node('Gemm', [current, w, b], gemmOut, [intAttr('transB', 1)]));
    if (!last) {
      nodes.push(node('Relu', [gemmOut], `r${layer + 1}`));
      current = `r${layer + 1}`;
    }
  }
  return encodeModel(
    {
      name: 'mlp',
      node: nodes,
      initializer,
      input: [floatValueInfo('x', ['batch', inputSize])],
      output: [floatValueInfo('logits', ['batch', outputs])],
    },
    `synthetic MLP ${sizes.join('-')} seed ${seed}`,
  );
}

/**
 * Small image CNN: `x` FP32 [batch, 3, size, size] → 3 × (Conv3×3 + Relu, MaxPool2 after the first two)
 * → GlobalAveragePool → Flatten → Gemm → `logits` [batch, 10]. The global pool makes any size ≥ 4 valid.
 */
export function buildCnn(opts: CnnOptions = {}): Uint8Array {
  const { size = 64, seed = 2, widths = [16, 32, 64] } = opts;
  const random = mulberry32(seed);
  const channels = [3, ...widths];
  const classes = 10;
  const nodes = [];
  const initializer = [];
  let current = 'x';
  for (let layer = 0; layer < channels.length - 1; layer++) {
    const [cin, cout] = [channels[layer], channels[layer + 1]];
    const [w, b] = [`conv${layer + 1}_W`, `conv${layer + 1}_b`];
    initializer.push(floatInitializer(w, [cout, cin, 3, 3], weights(random, cout * cin * 9, cin * 9)));
    initializer.push(floatInitializer(b, [cout], uniform(random, cout, 0.01)));
    nodes.push(node('Conv', [current, w, b], `conv${layer + 1}`, [intsAttr('kernel_shape', [3, 3]), intsAttr('pads', [1, 1, 1, 1])]));
    nodes.push(node('Relu', [`conv${layer + 1}`], `relu${layer + 1}`));
    current = `relu${layer + 1}`;
    if (layer < 2) {
      nodes.push(node('MaxPool', [current], `pool${layer + 1}`, [intsAttr('kernel_shape', [2, 2]), intsAttr('strides', [2, 2])]));
      current = `pool${layer + 1}`;
    }
  }
  const features = channels[channels.length - 1];
  nodes.push(node('GlobalAveragePool', [current], 'gap'));
  nodes.push(node('Flatten', ['gap'], 'flat', [intAttr('axis', 1)]));
  initializer.push(floatInitializer('fc_W', [classes, features], weights(random, classes * features, features)));
  initializer.push(floatInitializer('fc_b', [classes], uniform(random, classes, 0.01)));
  nodes.push(node('Gemm', ['flat', 'fc_W', 'fc_b'], 'logits', [intAttr('transB', 1)]));
  return encodeModel(
    {
      name: 'cnn',
      node: nodes,
      initializer,
      input: [floatValueInfo('x', ['batch', 3, size, size])],
      output: [floatValueInfo('logits', ['batch', classes])],
    },
    `synthetic CNN ${size}x${size} seed ${seed}`,
  );
}

/** Exactly checkable model: inputs `a`, `b` FP32 [batch, 4] → `sum` = a + b and `prod` = a * b. */
export function buildAdd(): Uint8Array {
  return encodeModel(
    {
      name: 'add',
      node: [node('Add', ['a', 'b'], 'sum'), node('Mul', ['a', 'b'], 'prod')],
      input: [floatValueInfo('a', ['batch', 4]), floatValueInfo('b', ['batch', 4])],
      output: [floatValueInfo('sum', ['batch', 4]), floatValueInfo('prod', ['batch', 4])],
    },
    'synthetic elementwise add and multiply',
  );
}

/** Half precision in and out: input `x` FP16 [batch, 4] → `y` = x + x (for the FP16 datatype end to end). */
export function buildHalfAdd(): Uint8Array {
  const half = onnx.TensorProto.DataType.FLOAT16;
  return encodeModel(
    {
      name: 'half-add',
      node: [node('Add', ['x', 'x'], 'y')],
      input: [floatValueInfo('x', ['batch', 4], half)],
      output: [floatValueInfo('y', ['batch', 4], half)],
    },
    'synthetic float16 doubling',
  );
}

export type SyntheticModelName = 'mlp' | 'cnn' | 'add';

/** Writes `mlp.onnx`, `cnn.onnx` and `add.onnx` (default options) into `dir`; returns name → path. */
export function writeSyntheticModels(dir: string): Record<SyntheticModelName, string> {
  mkdirSync(dir, { recursive: true });
  const models: Record<SyntheticModelName, Uint8Array> = { mlp: buildMlp(), cnn: buildCnn(), add: buildAdd() };
  const paths = {} as Record<SyntheticModelName, string>;
  for (const [name, bytes] of Object.entries(models) as [SyntheticModelName, Uint8Array][]) {
    paths[name] = join(dir, `${name}.onnx`);
    writeFileSync(paths[name], bytes);
  }
  return paths;
}
