import { decodeJson, encodeJson, JsonDecodeError } from './json-codec';

describe('json codec', () => {
  it('round-trips a value through UTF-8 JSON bytes', () => {
    const value = { name: 'ocr', n: 1, nested: { list: [1, 'ü'] } };
    expect(decodeJson(encodeJson(value), 'test value')).toEqual(value);
  });

  it('reads a view into a larger buffer without the bytes around it', () => {
    const outer = Buffer.from('xx{"a":1}yy');
    expect(decodeJson(outer.subarray(2, 9), 'slice')).toEqual({ a: 1 });
  });

  it('names what failed to parse', () => {
    const sut = () => decodeJson(Buffer.from('{not json'), 'KV epara_functions/ocr');
    expect(sut).toThrow(JsonDecodeError);
    expect(sut).toThrow(/^KV epara_functions\/ocr is not valid JSON: /);
  });
});
