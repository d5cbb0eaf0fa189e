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
 * The present_key_<i>/present_value_<i> outputs of one run, kept as they came out: [batch, heads,
 * slots, headDim] each, every row's real slots at the end of its slot axis (left padding before).
 * Never written to after the run, so the caches that point into it can share it.
 */
export interface PresentTensors {
  keys: Float32Array[];
  values: Float32Array[];
  batch: number;
  slots: number;
}

/**
 * One sequence's KV cache: its `length` real slots are the last `length` slots of row `row` in
 * `present` (null while empty). A view, not a copy: reading a run's caches copies nothing, and a
 * decode over the same rows in the same order as the run that made them feeds `present` back as the
 * past as is (see `buildDecoderFeeds`), so a steady batch copies no cache at all.
 */
export interface KvCache {
  length: number;
  present: PresentTensors | null;
  row: number;
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

export function emptyKvCache(): KvCache {
  return { length: 0, present: null, row: 0 };
}

/**
 * Feeds for one run over `rows` (≥ 1). Row b with L cached and n new tokens: positions L..L+n−1.
 *
 * The past tensors are the previous run's present tensors, untouched, when `rows` are exactly that
 * run's rows in its order (the steady decode of an unchanged batch: each row grew by one slot, so the
 * left padding still lines up). Otherwise each row's cache is copied into fresh left-padded tensors.
 */
export function buildDecoderFeeds(rows: readonly DecoderRow[], dims: DecoderDims): DecoderBatch {
  if (rows.length === 0) throw new Error('buildDecoderFeeds: no rows');
  const { layers, heads, headDim } = dims;
  const batch = rows.length;
  let past = 0;
  let seq = 0;
  for (const row of rows) {
    past = Math.max(past, row.cache.length);
    seq = Math.max(seq, row.newIds.length);
  }
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
  const shared = rows[0].cache.present;
  const reuse =
    shared !== null &&
    shared.batch === batch &&
    shared.slots === past &&
    rows.every((r, b) => r.cache.present === shared && r.cache.row === b);
  for (let i = 0; i < layers; i++) {
    let key: Float32Array;
    let value: Float32Array;
    if (reuse) [key, value] = [shared.keys[i], shared.values[i]];
    else {
      key = new Float32Array(batch * heads * past * headDim);
      value = new Float32Array(batch * heads * past * headDim);
      rows.forEach((row, b) => {
        const { present, row: from, length } = row.cache;
        if (present === null) return;
        copySlots(present, present.keys[i], from, length, dims, key, b, past);
        copySlots(present, present.values[i], from, length, dims, value, b, past);
      });
    }
    feeds[`past_key_${i}`] = new ort.Tensor('float32', key, [batch, heads, past, headDim]);
    feeds[`past_value_${i}`] = new ort.Tensor('float32', value, [batch, heads, past, headDim]);
  }
  return { feeds, pastLength: past, newLength: seq };
}

/** Copies the last `length` slots of row `from` of one layer's `data` into row `to` of `dst` ([rows, heads, dstSlots, headDim]), right-aligned. */
function copySlots(
  src: PresentTensors,
  data: Float32Array,
  from: number,
  length: number,
  dims: DecoderDims,
  dst: Float32Array,
  to: number,
  dstSlots: number,
): void {
  const { heads, headDim } = dims;
  for (let h = 0; h < heads; h++) {
    const at = ((from * heads + h) * src.slots + src.slots - length) * headDim;
    dst.set(data.subarray(at, at + length * headDim), ((to * heads + h) * dstSlots + dstSlots - length) * headDim);
  }
}

/**
 * Each row's cache after the run: its real past slots followed by its real new ones, as views into
 * the run's present tensors (no copy; the padding stays in the tensors, outside each view).
 */
export function readPresentCaches(
  outputs: ort.InferenceSession.OnnxValueMapType,
  rows: readonly DecoderRow[],
  batch: DecoderBatch,
  dims: DecoderDims,
): KvCache[] {
  const tensor = (name: string) => {
    const t = outputs[name];
    if (!t) throw new Error(`model output ${name} missing`);
    return t.data as Float32Array;
  };
  const present: PresentTensors = {
    keys: Array.from({ length: dims.layers }, (_, i) => tensor(`present_key_${i}`)),
    values: Array.from({ length: dims.layers }, (_, i) => tensor(`present_value_${i}`)),
    batch: rows.length,
    slots: batch.pastLength + batch.newLength,
  };
  return rows.map((row, b) => ({ length: row.cache.length + row.newIds.length, present, row: b }));
}

/** One layer of a cache, compacted: keys and values as [heads, length, headDim], row-major (copies). */
export function kvCacheLayer(cache: KvCache, layer: number, dims: DecoderDims): { keys: Float32Array; values: Float32Array } {
  const { length, present, row } = cache;
  const size = dims.heads * length * dims.headDim;
  const [keys, values] = [new Float32Array(size), new Float32Array(size)];
  if (present !== null) {
    copySlots(present, present.keys[layer], row, length, dims, keys, 0, length);
    copySlots(present, present.values[layer], row, length, dims, values, 0, length);
  }
  return { keys, values };
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
 * Row b's greedy token from the model's optional `next_token` output (see `buildTinyGpt`), or
 * undefined when the model has none: then scan `rowLogits` (`argmax`).
 */
export function rowGreedyToken(outputs: ort.InferenceSession.OnnxValueMapType, b: number): number | undefined {
  const next = outputs.next_token;
  return next ? Number((next.data as BigInt64Array)[b]) : undefined;
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
