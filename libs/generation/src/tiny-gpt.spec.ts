import * as ort from 'onnxruntime-node';
import {
  buildDecoderFeeds,
  DecoderDims,
  decoderDimsOf,
  emptyKvCache,
  KvCache,
  kvCacheLayer,
  readPresentCaches,
  rowGreedyToken,
  rowLogits,
} from './decoder-batch';
import { buildTinyGpt, tinyGptShape } from './tiny-gpt';

const dims: DecoderDims = { layers: 2, heads: 4, headDim: 16 };
const TOLERANCE = 1e-4;

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function argmax(x: Float32Array): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

/** Reference: the whole sequence in one run, no cache (past length 0), built by hand. */
async function logitsWithoutCache(session: ort.InferenceSession, ids: number[]): Promise<ort.InferenceSession.OnnxValueMapType> {
  const n = ids.length;
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, n]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
    position_ids: new ort.Tensor(
      'int64',
      BigInt64Array.from(ids, (_, i) => BigInt(i)),
      [1, n],
    ),
  };
  for (let i = 0; i < dims.layers; i++) {
    feeds[`past_key_${i}`] = new ort.Tensor('float32', new Float32Array(0), [1, dims.heads, 0, dims.headDim]);
    feeds[`past_value_${i}`] = new ort.Tensor('float32', new Float32Array(0), [1, dims.heads, 0, dims.headDim]);
  }
  return session.run(feeds);
}

/** One cached run over several rows; returns each row's logits (copied) and new cache. */
async function step(session: ort.InferenceSession, rows: { cache: KvCache; newIds: number[] }[]) {
  const batch = buildDecoderFeeds(rows, dims);
  const out = await session.run(batch.feeds);
  return { logits: rows.map((_, b) => rowLogits(out, b).slice()), caches: readPresentCaches(out, rows, batch, dims) };
}

const PROMPT_A = [15496, 995, 11, 616, 1438, 318]; // "Hello world, my name is"
const PROMPT_B = [464, 2068, 7586]; // "The quick brown"

describe(buildTinyGpt.name, () => {
  let session: ort.InferenceSession;
  let sessionAll: ort.InferenceSession;
  beforeAll(async () => {
    const opts = { intraOpNumThreads: 1, executionProviders: ['cpu'], logSeverityLevel: 3 } as const;
    session = await ort.InferenceSession.create(buildTinyGpt(), opts);
    sessionAll = await ort.InferenceSession.create(buildTinyGpt({ logits: 'all' }), opts);
  });
  afterAll(async () => {
    await session?.release();
    await sessionAll?.release();
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const small = { vocab: 300, dModel: 16, heads: 2, maxPositions: 32 };
    expect(Buffer.from(buildTinyGpt({ ...small, seed: 7 })).equals(Buffer.from(buildTinyGpt({ ...small, seed: 7 })))).toBe(true);
    expect(Buffer.from(buildTinyGpt({ ...small, seed: 7 })).equals(Buffer.from(buildTinyGpt({ ...small, seed: 8 })))).toBe(false);
  });

  it('validates its options with the option name', () => {
    expect(() => tinyGptShape({ dModel: 65, heads: 4 })).toThrow('dModel=65 is not a multiple of heads=4');
    expect(() => tinyGptShape({ layers: 0 })).toThrow('layers=0, expected an integer ≥ 1');
  });

  it('exposes the I/O contract the engine reads', () => {
    expect(session.inputNames).toEqual([
      'input_ids',
      'attention_mask',
      'position_ids',
      'past_key_0',
      'past_value_0',
      'past_key_1',
      'past_value_1',
    ]);
    expect(session.outputNames).toEqual(['logits', 'next_token', 'present_key_0', 'present_value_0', 'present_key_1', 'present_value_1']);
    expect(decoderDimsOf(session)).toEqual(dims);
  });

  it('greedy decoding with the KV cache gives the logits of recomputing the whole sequence', async () => {
    const ids = [...PROMPT_A];
    let { logits, caches } = await step(session, [{ cache: emptyKvCache(), newIds: ids }]);
    expect(caches[0].length).toBe(ids.length);
    const generated = new Set<number>();
    for (let t = 0; t < 12; t++) {
      const reference = rowLogits(await logitsWithoutCache(session, ids), 0);
      expect(maxAbsDiff(logits[0], reference)).toBeLessThanOrEqual(TOLERANCE);
      const next = argmax(logits[0]);
      generated.add(next);
      ids.push(next);
      ({ logits, caches } = await step(session, [{ cache: caches[0], newIds: [next] }]));
      expect(caches[0].length).toBe(ids.length);
    }
    // random weights: gibberish, but not one token repeated (see INPUT_EMBEDDING_SCALE)
    expect(generated.size).toBeGreaterThan(6);
  });

  it('logits "all": every position of one uncached run matches the cached step for that position (causal mask)', async () => {
    const full = await logitsWithoutCache(sessionAll, PROMPT_A);
    expect(full.logits.dims).toEqual([1, PROMPT_A.length, 50257]);
    let cache = emptyKvCache();
    for (let t = 0; t < PROMPT_A.length; t++) {
      const r = await step(session, [{ cache, newIds: [PROMPT_A[t]] }]);
      const vocab = 50257;
      const atT = (full.logits.data as Float32Array).subarray(t * vocab, (t + 1) * vocab);
      expect(maxAbsDiff(r.logits[0], atT)).toBeLessThanOrEqual(TOLERANCE);
      cache = r.caches[0];
    }
  });

  it('a left-padded batch of two different-length sequences gives each one its logits alone, at prefill and decode', async () => {
    const aloneA = await step(session, [{ cache: emptyKvCache(), newIds: PROMPT_A }]);
    const aloneB = await step(session, [{ cache: emptyKvCache(), newIds: PROMPT_B }]);
    const both = await step(session, [
      { cache: emptyKvCache(), newIds: PROMPT_A },
      { cache: emptyKvCache(), newIds: PROMPT_B },
    ]);
    expect(maxAbsDiff(both.logits[0], aloneA.logits[0])).toBeLessThanOrEqual(TOLERANCE);
    expect(maxAbsDiff(both.logits[1], aloneB.logits[0])).toBeLessThanOrEqual(TOLERANCE);
    const [batchedB, soloB1] = [kvCacheLayer(both.caches[1], 1, dims), kvCacheLayer(aloneB.caches[0], 1, dims)];
    expect(batchedB.keys.length).toBe(dims.heads * PROMPT_B.length * dims.headDim);
    expect(maxAbsDiff(batchedB.keys, soloB1.keys)).toBeLessThanOrEqual(TOLERANCE);
    expect(maxAbsDiff(batchedB.values, soloB1.values)).toBeLessThanOrEqual(TOLERANCE);

    // decode: pasts of 6 and 3 (B left-padded by 3 slots), one new token each
    let [cacheA, cacheB] = both.caches;
    let [soloA, soloB] = [aloneA.caches[0], aloneB.caches[0]];
    let [nextA, nextB] = [argmax(aloneA.logits[0]), argmax(aloneB.logits[0])];
    for (let t = 0; t < 4; t++) {
      const batched = await step(session, [
        { cache: cacheA, newIds: [nextA] },
        { cache: cacheB, newIds: [nextB] },
      ]);
      const a = await step(session, [{ cache: soloA, newIds: [nextA] }]);
      const b = await step(session, [{ cache: soloB, newIds: [nextB] }]);
      expect(maxAbsDiff(batched.logits[0], a.logits[0])).toBeLessThanOrEqual(TOLERANCE);
      expect(maxAbsDiff(batched.logits[1], b.logits[0])).toBeLessThanOrEqual(TOLERANCE);
      [cacheA, cacheB, soloA, soloB] = [batched.caches[0], batched.caches[1], a.caches[0], b.caches[0]];
      [nextA, nextB] = [argmax(a.logits[0]), argmax(b.logits[0])];
    }
  });

  it('an unchanged batch feeds the present tensors back as its past (no copy); a changed one copies, with the same results', async () => {
    const prefill = await step(session, [
      { cache: emptyKvCache(), newIds: PROMPT_A },
      { cache: emptyKvCache(), newIds: PROMPT_B },
    ]);
    const [nextA, nextB] = prefill.logits.map(argmax);
    const [cacheA, cacheB] = prefill.caches;
    const same = buildDecoderFeeds(
      [
        { cache: cacheA, newIds: [nextA] },
        { cache: cacheB, newIds: [nextB] },
      ],
      dims,
    );
    expect(same.feeds.past_key_1.data).toBe(cacheA.present!.keys[1]);
    expect(same.feeds.past_value_0.data).toBe(cacheA.present!.values[0]);
    const swapped = buildDecoderFeeds(
      [
        { cache: cacheB, newIds: [nextB] },
        { cache: cacheA, newIds: [nextA] },
      ],
      dims,
    );
    expect(swapped.feeds.past_key_1.data).not.toBe(cacheA.present!.keys[1]);
    const [outSame, outSwapped] = [await session.run(same.feeds), await session.run(swapped.feeds)];
    expect(maxAbsDiff(rowLogits(outSwapped, 1), rowLogits(outSame, 0))).toBeLessThanOrEqual(TOLERANCE);
    expect(maxAbsDiff(rowLogits(outSwapped, 0), rowLogits(outSame, 1))).toBeLessThanOrEqual(TOLERANCE);
    // a row that leaves: the other one's cache is copied out of the shared tensors, padding dropped
    const alone = buildDecoderFeeds([{ cache: cacheB, newIds: [nextB] }], dims);
    expect(alone.pastLength).toBe(PROMPT_B.length);
    expect(maxAbsDiff(alone.feeds.past_value_1.data as Float32Array, kvCacheLayer(cacheB, 1, dims).values)).toBe(0);
  });

  it('next_token is the greedy token of each row: the first index of its max logit', async () => {
    const batch = buildDecoderFeeds(
      [
        { cache: emptyKvCache(), newIds: PROMPT_A },
        { cache: emptyKvCache(), newIds: PROMPT_B },
      ],
      dims,
    );
    const out = await session.run(batch.feeds);
    expect(out.next_token.dims).toEqual([2]);
    expect([0, 1].map((b) => rowGreedyToken(out, b))).toEqual([0, 1].map((b) => argmax(rowLogits(out, b))));
    expect(rowGreedyToken(await logitsWithoutCache(sessionAll, PROMPT_B), 0)).toBeUndefined(); // 'all' has no next_token
  });

  it('the padding mask matters: unmasking the padding changes the padded row (the check above is not vacuous)', async () => {
    const aloneB = await step(session, [{ cache: emptyKvCache(), newIds: PROMPT_B }]);
    const batch = buildDecoderFeeds(
      [
        { cache: emptyKvCache(), newIds: PROMPT_A },
        { cache: emptyKvCache(), newIds: PROMPT_B },
      ],
      dims,
    );
    (batch.feeds.attention_mask.data as BigInt64Array).fill(1n);
    const out = await session.run(batch.feeds);
    expect(maxAbsDiff(rowLogits(out, 1), aloneB.logits[0])).toBeGreaterThan(1e-2);
  });

  it('a prefill can continue from a cache (chunked prompt) with the same logits', async () => {
    const whole = await step(session, [{ cache: emptyKvCache(), newIds: PROMPT_A }]);
    const first = await step(session, [{ cache: emptyKvCache(), newIds: PROMPT_A.slice(0, 2) }]);
    const rest = await step(session, [{ cache: first.caches[0], newIds: PROMPT_A.slice(2) }]);
    expect(maxAbsDiff(rest.logits[0], whole.logits[0])).toBeLessThanOrEqual(TOLERANCE);
  });
});
