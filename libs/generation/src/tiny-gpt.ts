import { onnx } from 'onnx-proto';
import { floatInitializer, floatValueInfo, intAttr, intsAttr, mulberry32, node, uniform } from '@epara/runtime';

/**
 * A tiny GPT-2-style decoder with a KV cache, built in JS as an ONNX graph, for
 * tests and benchmarks of token-by-token generation. The weights are random (seeded), so the text
 * it generates is gibberish: it exercises the serving path, not language quality.
 *
 * I/O contract (shared by any model `GenerationEngine` runs; B = batch, S = new tokens, P = past):
 * - `input_ids` INT64 [B, S]; `position_ids` INT64 [B, S] (absolute position of each new token);
 * - `attention_mask` INT64 [B, P+S]: 1 = real token, 0 = padding, over the past slots then the new ones;
 * - per layer i: `past_key_<i>`, `past_value_<i>` FP32 [B, H, P, Dh] (P may be 0);
 * - outputs `logits` FP32 [B, V] (last new position only; `[B, S, V]` with `logits: 'all'`) and
 *   `present_key_<i>`, `present_value_<i>` FP32 [B, H, P+S, Dh] = past ++ new along axis 2;
 * - optional output `next_token` INT64 [B] (with `logits: 'last'`): ArgMax of `logits` (first index of
 *   the max), the greedy token, so a greedy row skips the 50k-wide scan in JS (vectorized in the runtime).
 * New token j of a row attends slot t when t ≤ P + j (causal) and `attention_mask[t] = 1`; masked
 * scores get −1e9 added (not −∞: a row with every slot masked, a padding query, stays finite).
 * With `logits: 'last'`, rows of different lengths must be LEFT-padded so that their last real token
 * is in the last column.
 */
export interface TinyGptOptions {
  /** Vocabulary size. Default 50257 (GPT-2 r50k, so gpt-tokenizer ids are valid). */
  vocab?: number;
  /** Model width. Must be a multiple of `heads`. Default 64. */
  dModel?: number;
  /** Decoder blocks. Default 2. */
  layers?: number;
  /** Attention heads. Default 4. */
  heads?: number;
  /** Learned positions: the longest prompt + generation the model takes. Default 256. */
  maxPositions?: number;
  /** PRNG seed of the weights; the same options give byte-identical models. Default 3. */
  seed?: number;
  /**
   * Which positions get logits: `'last'` (default) = [B, V] for the last new position, which saves
   * the V-wide projection of every prompt token at prefill; `'all'` = [B, S, V].
   */
  logits?: 'last' | 'all';
}

export interface TinyGptShape {
  vocab: number;
  dModel: number;
  layers: number;
  heads: number;
  headDim: number;
  maxPositions: number;
}

const INT64 = onnx.TensorProto.DataType.INT64;
const ONNX_OPSET = 17; // LayerNormalization is opset 17; opset 17 has no Gelu (it came in 20), so GELU is spelled out with Erf.
const MASKED = -1e9;
/**
 * Input token embeddings are scaled by this (the output head uses wte unscaled). With tied unit-scale
 * embeddings and no training, the residual stream is dominated by the current token's own embedding,
 * whose dot product with itself wins the argmax: greedy output repeats the last token forever
 * ("fox fox fox"). At 0.3 the position and attention terms dominate and greedy text varies token to
 * token (still gibberish), which makes equivalence tests meaningful.
 */
const INPUT_EMBEDDING_SCALE = 0.3;

function int64Initializer(name: string, dims: number[], values: number[]): onnx.ITensorProto {
  const data = BigInt64Array.from(values.map((v) => BigInt(v)));
  return onnx.TensorProto.create({ name, dims, dataType: INT64, rawData: new Uint8Array(data.buffer) });
}

function int64ValueInfo(name: string, shape: (number | string)[]): onnx.IValueInfoProto {
  const info = floatValueInfo(name, shape);
  info.type!.tensorType!.elemType = INT64;
  return info;
}

function scalar(name: string, value: number): onnx.ITensorProto {
  return floatInitializer(name, [], new Float32Array([value]));
}

/** The dimensions of the model `buildTinyGpt(opts)` builds, with defaults filled in and checked. */
export function tinyGptShape(opts: TinyGptOptions = {}): TinyGptShape {
  const { vocab = 50257, dModel = 64, layers = 2, heads = 4, maxPositions = 256 } = opts;
  for (const [name, v] of Object.entries({ vocab, dModel, layers, heads, maxPositions })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`buildTinyGpt: ${name}=${v}, expected an integer ≥ 1`);
  }
  if (dModel % heads !== 0) throw new Error(`buildTinyGpt: dModel=${dModel} is not a multiple of heads=${heads}`);
  return { vocab, dModel, layers, heads, headDim: dModel / heads, maxPositions };
}

/** Builds the model (see the I/O contract above) as ONNX bytes, IR 8 / opset 17. About 13 MB at the defaults. */
export function buildTinyGpt(opts: TinyGptOptions = {}): Uint8Array {
  const { vocab, dModel: d, layers, heads: h, headDim: dh, maxPositions } = tinyGptShape(opts);
  const seed = opts.seed ?? 3;
  const lastOnly = (opts.logits ?? 'last') === 'last';
  const random = mulberry32(seed);
  const nodes: onnx.INodeProto[] = [];
  const init: onnx.ITensorProto[] = [];
  const add = (opType: string, inputs: string[], output: string, attrs: onnx.IAttributeProto[] = []) => {
    nodes.push(node(opType, inputs, output, attrs));
    return output;
  };
  /** Uniform weights scaled by 1/sqrt(fanIn), so each residual branch adds O(1) to the stream. */
  const weight = (name: string, dims: number[], fanIn: number) => {
    init.push(
      floatInitializer(
        name,
        dims,
        uniform(
          random,
          dims.reduce((a, b) => a * b, 1),
          1 / Math.sqrt(fanIn),
        ),
      ),
    );
    return name;
  };
  const bias = (name: string, n: number) => {
    init.push(floatInitializer(name, [n], uniform(random, n, 0.02)));
    return name;
  };
  const ones = (name: string, n: number) => {
    init.push(floatInitializer(name, [n], new Float32Array(n).fill(1)));
    return name;
  };
  const zeros = (name: string, n: number) => {
    init.push(floatInitializer(name, [n], new Float32Array(n)));
    return name;
  };
  const layerNorm = (x: string, prefix: string) =>
    add('LayerNormalization', [x, ones(`${prefix}_g`, d), zeros(`${prefix}_b`, d)], prefix, [
      intAttr('axis', -1),
      floatAttr('epsilon', 1e-5),
    ]);
  const linear = (x: string, prefix: string, fanIn: number, fanOut: number) =>
    add('Add', [add('MatMul', [x, weight(`${prefix}_W`, [fanIn, fanOut], fanIn)], `${prefix}_mm`), bias(`${prefix}_bias`, fanOut)], prefix);

  // Embeddings. wte has unit-scale entries so that tied logits are spread (≈ ±8), which keeps greedy
  // ties (and argmax flips from float reordering between batched and single runs) improbable.
  init.push(floatInitializer('wte', [vocab, d], uniform(random, vocab * d, Math.sqrt(3))));
  init.push(floatInitializer('wpe', [maxPositions, d], uniform(random, maxPositions * d, Math.sqrt(3))));
  init.push(
    int64Initializer('i1', [1], [1]),
    int64Initializer('zero', [], [0]),
    int64Initializer('one', [], [1]),
    int64Initializer('shape_heads', [4], [0, 0, h, dh]),
    int64Initializer('shape_model', [3], [0, 0, d]),
    scalar('f_zero', 0),
    scalar('f_emb_scale', INPUT_EMBEDDING_SCALE),
    scalar('f_one', 1),
    scalar('f_masked', MASKED),
    scalar('f_half', 0.5),
    scalar('f_sqrt2', Math.SQRT2),
    scalar('f_scale', 1 / Math.sqrt(dh)),
  );
  let x = add(
    'Add',
    [add('Mul', [add('Gather', ['wte', 'input_ids'], 'tok_raw'), 'f_emb_scale'], 'tok'), add('Gather', ['wpe', 'position_ids'], 'pos')],
    'x0',
  );

  // Mask [B, 1, S, T], T = P + S: causal (slot t ≤ P + j) plus padding (attention_mask = 0), additive.
  const s = add('Gather', [add('Shape', ['input_ids'], 'ids_shape'), 'one'], 'S'); // scalar
  const t = add('Gather', [add('Shape', ['attention_mask'], 'mask_shape'), 'one'], 'T'); // scalar
  const p = add('Sub', [t, s], 'P');
  const queryPos = add('Unsqueeze', [add('Range', [p, t, 'one'], 'q_slots'), 'i1'], 'q_slots_col'); // [S, 1]
  const keyPos = add('Range', ['zero', t, 'one'], 'k_slots'); // [T]
  const causalAdd = add('Where', [add('LessOrEqual', [keyPos, queryPos], 'causal_ok'), 'f_zero', 'f_masked'], 'causal_add'); // [S, T]
  const pad = add(
    'Mul',
    [add('Sub', ['f_one', add('Cast', ['attention_mask'], 'mask_f', [intAttr('to', 1)])], 'mask_inv'), 'f_masked'],
    'pad_add',
  ); // [B, T]
  const padB = add('Unsqueeze', [pad, 'axes_1_2'], 'pad_b11t'); // [B, 1, 1, T]
  init.push(int64Initializer('axes_1_2', [2], [1, 2]));
  const mask = add('Add', [padB, causalAdd], 'mask'); // [B, 1, S, T]

  for (let i = 0; i < layers; i++) {
    const l = `l${i}`;
    const hIn = layerNorm(x, `${l}_ln1`);
    const heads4 = (name: string) =>
      add('Transpose', [add('Reshape', [linear(hIn, `${l}_${name}`, d, d), 'shape_heads'], `${l}_${name}_r`)], `${l}_${name}_h`, [
        intsAttr('perm', [0, 2, 1, 3]),
      ]);
    const q = heads4('q');
    const kNew = heads4('k');
    const vNew = heads4('v');
    const k = add('Concat', [`past_key_${i}`, kNew], `present_key_${i}`, [intAttr('axis', 2)]);
    const v = add('Concat', [`past_value_${i}`, vNew], `present_value_${i}`, [intAttr('axis', 2)]);
    const kT = add('Transpose', [k], `${l}_kT`, [intsAttr('perm', [0, 1, 3, 2])]);
    const scores = add('Add', [add('Mul', [add('MatMul', [q, kT], `${l}_qk`), 'f_scale'], `${l}_qk_s`), mask], `${l}_scores`);
    const att = add('Softmax', [scores], `${l}_att`, [intAttr('axis', -1)]);
    const ctx = add(
      'Reshape',
      [add('Transpose', [add('MatMul', [att, v], `${l}_ctx_h`)], `${l}_ctx_t`, [intsAttr('perm', [0, 2, 1, 3])]), 'shape_model'],
      `${l}_ctx`,
    );
    x = add('Add', [x, linear(ctx, `${l}_o`, d, d)], `${l}_x1`);
    const up = linear(layerNorm(x, `${l}_ln2`), `${l}_fc`, d, 4 * d);
    // GELU(u) = 0.5·u·(1 + erf(u/√2))
    const erf = add('Erf', [add('Div', [up, 'f_sqrt2'], `${l}_fc_d`)], `${l}_erf`);
    const gelu = add('Mul', [add('Mul', [up, 'f_half'], `${l}_fc_h`), add('Add', [erf, 'f_one'], `${l}_erf1`)], `${l}_gelu`);
    x = add('Add', [x, linear(gelu, `${l}_proj`, 4 * d, d)], `${l}_x2`);
  }
  const final = layerNorm(x, 'ln_f');
  if (lastOnly) {
    // Last new position only: Gather with a scalar index drops the seq axis → [B, D]; Gemm(transB) uses wte as is.
    const last = add('Gather', [final, add('Sub', [s, 'one'], 'S_1')], 'h_last', [intAttr('axis', 1)]);
    add('ArgMax', [add('Gemm', [last, 'wte'], 'logits', [intAttr('transB', 1)])], 'next_token', [
      intAttr('axis', 1),
      intAttr('keepdims', 0),
    ]);
  } else {
    add('MatMul', [final, add('Transpose', ['wte'], 'wte_T', [intsAttr('perm', [1, 0])])], 'logits');
  }

  const cache = (prefix: string, len: string) =>
    Array.from({ length: layers }, (_, i) => floatValueInfo(`${prefix}_${i}`, ['batch', h, len, dh]));
  const graph = onnx.GraphProto.create({
    name: 'tiny_gpt',
    node: nodes,
    initializer: init,
    input: [
      int64ValueInfo('input_ids', ['batch', 'seq']),
      int64ValueInfo('attention_mask', ['batch', 'total']),
      int64ValueInfo('position_ids', ['batch', 'seq']),
      ...interleave(cache('past_key', 'past'), cache('past_value', 'past')),
    ],
    output: [
      floatValueInfo('logits', lastOnly ? ['batch', vocab] : ['batch', 'seq', vocab]),
      ...(lastOnly ? [int64ValueInfo('next_token', ['batch'])] : []),
      ...interleave(cache('present_key', 'total'), cache('present_value', 'total')),
    ],
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'epara-synthetic',
    producerVersion: '1',
    docString: `tiny GPT with KV cache (random weights, seed ${seed}): vocab ${vocab}, d ${d}, ${layers} layers, ${h} heads, ${maxPositions} positions`,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

function floatAttr(name: string, f: number): onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.FLOAT, f };
}

function interleave<T>(a: T[], b: T[]): T[] {
  return a.flatMap((v, i) => [v, b[i]]);
}
