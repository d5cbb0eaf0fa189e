import { decode, encode, END_OF_TEXT_ID, IncrementalDetokenizer, R50K_VOCAB_SIZE, tokenBytes } from './tokenizer';

describe('r50k tokenizer', () => {
  it('encodes and decodes GPT-2 ids', () => {
    expect(encode('Hello world')).toEqual([15496, 995]);
    expect(decode([15496, 995])).toBe('Hello world');
  });

  it.each(['Hello world', 'naïve café ü', 'emoji 😀👍🏽 and 中文', '', '  spaces\n\tand tabs'])('round-trips %j', (text) => {
    expect(decode(encode(text))).toBe(text);
  });

  it('encodes special-token text in user input as plain text', () => {
    const ids = encode('a <|endoftext|> b');
    expect(ids).not.toContain(END_OF_TEXT_ID);
    expect(decode(ids)).toBe('a <|endoftext|> b');
    expect(decode([END_OF_TEXT_ID])).toBe('<|endoftext|>');
  });

  it('decoding a cut character does not leak into the next decode (the package decode does)', () => {
    // 30325 = " \xf0\x9f\x98", 222 = "\x80": 😀 spans two tokens.
    expect(decode([30325])).toBe(' \uFFFD');
    expect(decode([30325, 222])).toBe(' 😀');
  });

  it('rejects ids outside the vocabulary with the id in the message', () => {
    expect(tokenBytes(R50K_VOCAB_SIZE)).toBeUndefined();
    expect(() => decode([R50K_VOCAB_SIZE])).toThrow('token id 50257 is not in the r50k vocabulary (0..50256)');
  });
});

describe(IncrementalDetokenizer.name, () => {
  it('emits text only when it forms complete UTF-8', () => {
    const sut = new IncrementalDetokenizer();
    expect(sut.push(15496)).toBe('Hello');
    expect(sut.push(30325)).toBe(' '); // the space is complete, the emoji's first 3 bytes wait
    expect(sut.push(222)).toBe('😀');
    expect(sut.flush()).toBe('');
  });

  it('pushes concatenated equal decode(all) for mixed-script text', () => {
    const text = 'Ünïcödé 😀👍🏽 中文字符 done';
    const ids = encode(text);
    const sut = new IncrementalDetokenizer();
    const pieces = ids.map((id) => sut.push(id));
    expect(pieces.join('') + sut.flush()).toBe(text);
    // no piece ends with a lone high surrogate or U+FFFD: every emission is complete text
    for (const p of pieces) expect(p).not.toMatch(/[\uD800-\uDBFF]$|\uFFFD/);
  });

  it('flush turns a never-finished character into U+FFFD', () => {
    const sut = new IncrementalDetokenizer();
    expect(sut.push(30325)).toBe(' ');
    expect(sut.flush()).toBe('\uFFFD');
  });

  it('streams are independent', () => {
    const a = new IncrementalDetokenizer();
    const b = new IncrementalDetokenizer();
    expect(a.push(30325)).toBe(' ');
    expect(b.push(15496)).toBe('Hello');
    expect(a.push(222)).toBe('😀');
  });
});
