import bpeRanks from 'gpt-tokenizer/cjs/bpeRanks/r50k_base';
import { encode as r50kEncode } from 'gpt-tokenizer/cjs/encoding/r50k_base';

/**
 * GPT-2 (r50k_base) tokenizer over gpt-tokenizer 4. Deep `cjs/` paths: the project resolves modules
 * the node10 way, which ignores package `exports`, and these are the paths the package exports too.
 *
 * Decoding is done here from the package's rank table (token id → its bytes), not with the package's
 * `decode`: that one feeds every call through ONE module-wide `TextDecoder` in `stream: true` mode
 * and never flushes it, so decoding ids that end inside a UTF-8 character (which a stream does all
 * the time: 😀 is two tokens) leaves bytes pending that corrupt the next `decode` call anywhere in
 * the process (`decode([30325])` then `decode([30325, 222])` gives "\uFFFD 😀" instead of " 😀").
 */

/** `<|endoftext|>`: GPT-2's only special token, the end of a document. */
export const END_OF_TEXT_ID = 50256;
const END_OF_TEXT = '<|endoftext|>';
/** Vocabulary size of r50k_base, special token included. */
export const R50K_VOCAB_SIZE = 50257;
const NO_SPECIAL = new Set<string>();
const textEncoder = new TextEncoder();

/** Bytes of a token id, or undefined when the id is not in the vocabulary. */
export function tokenBytes(id: number): Uint8Array | undefined {
  if (id === END_OF_TEXT_ID) return textEncoder.encode(END_OF_TEXT);
  if (!Number.isInteger(id) || id < 0 || id >= bpeRanks.length) return undefined;
  const entry = bpeRanks[id];
  // Strings are tokens whose bytes are valid UTF-8 on their own; number[] are raw bytes.
  return typeof entry === 'string' ? textEncoder.encode(entry) : Uint8Array.from(entry);
}

function bytesOf(id: number): Uint8Array {
  const bytes = tokenBytes(id);
  if (!bytes) throw new Error(`token id ${id} is not in the r50k vocabulary (0..${R50K_VOCAB_SIZE - 1})`);
  return bytes;
}

/** Text → token ids. Special-token text in user input (`<|endoftext|>`) is encoded as plain text, never as the special id. */
export function encode(text: string): number[] {
  return r50kEncode(text, { disallowedSpecial: NO_SPECIAL });
}

/** Token ids → text. Bytes that do not form complete UTF-8 (a cut-off character) become U+FFFD. Throws on an unknown id. */
export function decode(ids: Iterable<number>): string {
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  let out = '';
  for (const id of ids) out += decoder.decode(bytesOf(id), { stream: true });
  return out + decoder.decode();
}

/**
 * Streaming detokenizer for one sequence: `push(id)` returns the text that the id completes, or ''
 * while a UTF-8 character is still cut (a partial emoji waits for its next token); `flush()` at the
 * end returns what is left (U+FFFD for a character the stream never finished). Concatenating every
 * push and the flush equals `decode(allIds)`.
 */
export class IncrementalDetokenizer {
  // One decoder per stream: its pending bytes are this sequence's, never another's. ignoreBOM keeps a
  // generated U+FEFF as text instead of dropping it as a byte-order mark.
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });

  push(id: number): string {
    return this.decoder.decode(bytesOf(id), { stream: true });
  }

  flush(): string {
    return this.decoder.decode();
  }
}

/** The r50k tokenizer as one object (the engine's default `GenerationTokenizer`). */
export const r50kTokenizer = {
  encode,
  decode,
  detokenizer: (): IncrementalDetokenizer => new IncrementalDetokenizer(),
} as const;
