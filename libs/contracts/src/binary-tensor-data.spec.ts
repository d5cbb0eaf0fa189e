import { binaryRequestToMsgpack, msgpackResultToBinary } from './binary-tensor-data';
import { decodeInvocation, encodeResult } from './inference-codec';

const f32 = (xs: number[]) => Buffer.from(new Float32Array(xs).buffer);
const body = (header: object, ...tensors: Buffer[]) => {
  const h = Buffer.from(JSON.stringify(header));
  return { bytes: Buffer.concat([h, ...tensors]), headerLength: h.byteLength };
};

describe('binary tensor data extension', () => {
  it('turns raw input bytes into the same tensors a JSON request would give', () => {
    const { bytes, headerLength } = body(
      {
        inputs: [
          { name: 'x', shape: [2], datatype: 'FP32', parameters: { binary_data_size: 8 } },
          { name: 'y', shape: [1], datatype: 'INT32', data: [7] },
        ],
      },
      f32([1.5, -2]),
    );
    const inv = decodeInvocation(binaryRequestToMsgpack(bytes, headerLength).body, 'application/msgpack');
    expect(inv.type === 'tensors' && inv.inputs.map((t) => [t.name, Array.from(t.data as Float32Array)])).toEqual([
      ['x', [1.5, -2]],
      ['y', [7]],
    ]);
  });

  it.each([
    [
      'bytes nobody claims',
      body({ inputs: [{ name: 'x', shape: [1], datatype: 'FP32', parameters: { binary_data_size: 4 } }] }, f32([1, 2])),
      /not claimed/,
    ],
    [
      'a size past the end',
      body({ inputs: [{ name: 'x', shape: [2], datatype: 'FP32', parameters: { binary_data_size: 8 } }] }, f32([1])),
      /does not fit/,
    ],
    ['BYTES', body({ inputs: [{ name: 's', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: 4 } }] }, f32([1])), /BYTES/],
    ['a header that is not JSON', { bytes: Buffer.from('{nope'), headerLength: 5 }, /not valid JSON/],
  ])('refuses %s with a 400 that says so', (_what, { bytes, headerLength }, message) => {
    expect(() => binaryRequestToMsgpack(bytes, headerLength)).toThrow(
      expect.objectContaining({ code: 400, message: expect.stringMatching(message) }),
    );
  });

  it('answers binary outputs as raw bytes after the header, the others as JSON', () => {
    const result = encodeResult(
      {
        type: 'tensors',
        outputs: [
          { name: 'a', datatype: 'FP32', shape: [2], data: new Float32Array([1, 2]) },
          { name: 'b', datatype: 'INT64', shape: [1], data: new BigInt64Array([5n]) },
        ],
      },
      { modelName: 'm' },
      'application/msgpack',
    );
    const { body: out, headerLength } = msgpackResultToBinary(result.body, { byName: new Map([['b', false]]), otherwise: true });
    expect(JSON.parse(out.subarray(0, headerLength).toString()).outputs).toEqual([
      { name: 'a', datatype: 'FP32', shape: [2], parameters: { binary_data_size: 8 } },
      { name: 'b', datatype: 'INT64', shape: [1], data: [5] },
    ]);
    expect(out.subarray(headerLength).equals(f32([1, 2]))).toBe(true);
  });
});
