// Text generation: a decoder with a KV cache served with iteration-level batching, the r50k tokenizer, a tiny
// synthetic decoder for tests. Only the worker loads it (gpt-tokenizer's rank table is large).
export { buildTinyGpt, tinyGptShape } from './tiny-gpt';
export type { TinyGptOptions, TinyGptShape } from './tiny-gpt';
// encode/decode leave as r50kTokenizer.encode/.decode: bare names would say nothing about which tokenizer.
export { END_OF_TEXT_ID, IncrementalDetokenizer, R50K_VOCAB_SIZE, r50kTokenizer, tokenBytes } from './tokenizer';
export {
  buildDecoderFeeds,
  decoderDimsOf,
  emptyKvCache,
  kvCacheLayer,
  readPresentCaches,
  rowGreedyToken,
  rowLogits,
} from './decoder-batch';
export type { DecoderBatch, DecoderDims, DecoderRow, KvCache, PresentTensors } from './decoder-batch';
export { sampleToken } from './sampling';
export { findStop, heldTailLength } from './stop-sequences';
export { GenerationEngine } from './generation-engine';
export { GenerationEndReason } from './types';
export type {
  DecoderSession,
  GenerationEngineOptions,
  GenerationOutcome,
  GenerationRequest,
  GenerationStepEvent,
  GenerationTokenizer,
} from './types';
