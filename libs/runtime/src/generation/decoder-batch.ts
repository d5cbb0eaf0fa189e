import * as ort from 'onnxruntime-node';

/**
 * Padded batches for a decoder with the KV-cache I/O contract of `buildTinyGpt` (input_ids,
 * attention_mask, position_ids, past_key_<i>/past_value_<i> in; logits, present_key_<i>/present_value_<i>
 * out). Rows are LEFT-padded, in the past and in the new tokens, so that every row's last real token
 * sits in the last column (what a last-position-only `logits` output needs) and padding is masked out.
 */

export interface DecoderDims {
  layers: number;
  heads: number;
  headDim: number;
}

/**
 * One sequence's KV cache: per layer, keys and values as [heads, length, headDim], row-major. Each
 * `readPresentCaches` call returns fresh arrays: a cache is owned by its one sequence, never shared.
 */
export interface KvCache {
  length: number;
  keys: Float32Array[];
  values: Float32Array[];
}

/** One row of a batch: what the sequence has cached and the tokens it feeds this run (≥ 1). */
export interface DecoderRow {
  cache: KvCache;
  newIds: readonly number[];
}

export interface DecoderBatch {
  feeds: Record<string, ort.Tensor>;
  /** P: the padded past length (longest cache in the batch). */
  pastLength: number;
  /** S: the padded new-token length (longest `newIds`). */
  newLength: number;
}

export function emptyKvCache(dims: DecoderDims): KvCache {
  return { length: 0, keys: Array.from({ length: dims.layers }, () => new Float32Array(0)), values: Array.from({ length: dims.layers }, () => new Float32Array(0)) };
}

/** Feeds for one run over `rows` (≥ 1). Row b with L cached and n new tokens: positions L..L+n−1. */
export function buildDecoderFeeds(rows: readonly DecoderRow[], dims: DecoderDims): DecoderBatch {
  if (rows.length === 0) throw new Error('buildDecoderFeeds: no rows');
  const { layers, heads, headDim } = dims;
  const batch = rows.length;
  const past = Math.max(...rows.map((r) => r.cache.length));
  const seq = Math.max(...rows.map((r) => r.newIds.length));
  const total = past + seq;
  const ids = new BigInt64Array(batch * seq);
  const positions = new BigInt64Array(batch * seq);
  const mask = new BigInt64Array(batch * total);
  rows.forEach((row, b) => {
    const { length: cached } = row.cache;
    const n = row.newIds.length;
    if (n < 1) throw new Error(`buildDecoderFeeds: row ${b} feeds no token`);
    for (let k = 0; k < n; k++) {
      ids[b * seq + seq - n + k] = BigInt(row.newIds[k]);
      positions[b * seq + seq - n + k] = BigInt(cached + k);
    }
    mask.fill(1n, b * total + past - cached, b * total + past);
    mask.fill(1n, b * total + total - n, b * total + total);
  });
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', ids, [batch, seq]),
    attention_mask: new ort.Tensor('int64', mask, [batch, total]),
    position_ids: new ort.Tensor('int64', positions, [batch, seq]),
  };
  for (let i = 0; i < layers; i++) {
    const key = new Float32Array(batch * heads * past * headDim);
    const value = new Float32Array(batch * heads * past * headDim);
    rows.forEach((row, b) => {
      const cached = row.cache.length;
      const span = cached * headDim;
      for (let h = 0; h < heads; h++) {
        const dst = ((b * heads + h) * past + past - cached) * headDim;
        key.set(row.cache.keys[i].subarray(h * span, (h + 1) * span), dst);
        value.set(row.cache.values[i].subarray(h * span, (h + 1) * span), dst);
      }
    });
    feeds[`past_key_${i}`] = new ort.Tensor('float32', key, [batch, heads, past, headDim]);
    feeds[`past_value_${i}`] = new ort.Tensor('float32', value, [batch, heads, past, headDim]);
  }
  return { feeds, pastLength: past, newLength: seq };
}

/** Each row's cache after the run: its real past slots followed by its real new ones, padding dropped. */
export function readPresentCaches(outputs: ort.InferenceSession.OnnxValueMapType, rows: readonly DecoderRow[], batch: DecoderBatch, dims: DecoderDims): KvCache[] {
  const { layers, heads, headDim } = dims;
  const { pastLength: past, newLength: seq } = batch;
  const total = past + seq;
  const caches: KvCache[] = rows.map((row) => ({ length: row.cache.length + row.newIds.length, keys: [], values: [] }));
  for (let i = 0; i < layers; i++) {
    for (const [name, field] of [[`present_key_${i}`, 'keys'], [`present_value_${i}`, 'values']] as const) {
      const present = outputs[name];
      if (!present) throw new Error(`model output ${name} missing`);
      const data = present.data as Float32Array;
      rows.forEach((row, b) => {
        const cached = row.cache.length;
        const n = row.newIds.length;
        const length = cached + n;
        const out = new Float32Array(heads * length * headDim);
        for (let h = 0; h < heads; h++) {
          const base = (b * heads + h) * total;
          out.set(data.subarray((base + past - cached) * headDim, (base + past) * headDim), h * length * headDim);
          out.set(data.subarray((base + total - n) * headDim, (base + total) * headDim), (h * length + cached) * headDim);
        }
        caches[b][field].push(out);
      });
    }
  }
  return caches;
}

/** Row b's next-token logits: [B, V] as is, or the last position of [B, S, V]. A view, not a copy. */
export function rowLogits(outputs: ort.InferenceSession.OnnxValueMapType, b: number): Float32Array {
  const logits = outputs.logits;
  if (!logits) throw new Error('model output logits missing');
  const data = logits.data as Float32Array;
  const dims = logits.dims;
  const vocab = dims[dims.length - 1];
  const perRow = dims.length === 3 ? dims[1] * vocab : vocab;
  const start = b * perRow + perRow - vocab;
  return data.subarray(start, start + vocab);
}

/**
 * Cache dimensions from a session's input metadata: layers = number of `past_key_<i>` inputs, heads
 * and headDim from `past_key_0`'s [batch, heads, past, headDim]. Throws, naming what is missing, for a
 * model without the contract.
 */
export function decoderDimsOf(session: Pick<ort.InferenceSession, 'inputMetadata' | 'outputNames'>): DecoderDims {
  const inputs = session.inputMetadata;
  const names = new Set(inputs.map((m) => m.name));
  const missing = ['input_ids', 'attention_mask', 'position_ids', 'past_key_0', 'past_value_0'].filter((n) => !names.has(n));
  if (!session.outputNames.includes('logits')) missing.push('output logits');
  if (missing.length) throw new Error(`model lacks the KV-cache decoder contract: missing ${missing.join(', ')}`);
  let layers = 0;
  while (names.has(`past_key_${layers}`) && names.has(`past_value_${layers}`)) layers++;
  const key0 = inputs.find((m) => m.name === 'past_key_0')!;
  const shape = key0.isTensor ? key0.shape : [];
  const [heads, headDim] = [shape[1], shape[3]];
  if (typeof heads !== 'number' || typeof headDim !== 'number' || heads < 1 || headDim < 1) {
    throw new Error(`past_key_0 has shape [${shape.join(', ')}]; expected [batch, heads, past, headDim] with fixed heads and headDim`);
  }
  return { layers, heads, headDim };
}
