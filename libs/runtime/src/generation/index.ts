export { buildTinyGpt, tinyGptShape } from './tiny-gpt';
export type { TinyGptOptions, TinyGptShape } from './tiny-gpt';
// encode/decode leave as r50kTokenizer.encode/.decode: bare names would be ambiguous in the runtime barrel.
export { END_OF_TEXT_ID, IncrementalDetokenizer, R50K_VOCAB_SIZE, r50kTokenizer, tokenBytes } from './tokenizer';
export { buildDecoderFeeds, decoderDimsOf, emptyKvCache, kvCacheLayer, readPresentCaches, rowGreedyToken, rowLogits } from './decoder-batch';
export type { DecoderBatch, DecoderDims, DecoderRow, KvCache, PresentTensors } from './decoder-batch';
export { sampleToken } from './sampling';
export { findStop, heldTailLength } from './stop-sequences';
export { GenerationEngine } from './generation-engine';
export * from './types';
