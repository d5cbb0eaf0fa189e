import { decodeInvocation, decodeResultTensors, encodeResult, encodeTensorsMsgpack, packr } from './inference-codec';
import { EparaError } from './errors';

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

function badInput(fn: () => unknown): EparaError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(EparaError);
    expect((e as EparaError).code).toBe(400);
    return e as EparaError;
  }
  throw new Error('expected a 400');
}

describe(decodeInvocation.name, () => {
  it('decodes Open Inference Protocol JSON with flat and nested data', () => {
    const inv = decodeInvocation(
      json({
        id: 'r1',
        inputs: [
          {
            name: 'x',
            shape: [2, 2],
            datatype: 'FP32',
            data: [
              [1, 2],
              [3, 4.5],
            ],
          },
        ],
      }),
      'application/json',
    );
    expect(inv.type).toBe('tensors');
    if (inv.type !== 'tensors') return;
    expect(inv.id).toBe('r1');
    expect(inv.inputs[0].data).toBeInstanceOf(Float32Array);
    expect(Array.from(inv.inputs[0].data as Float32Array)).toEqual([1, 2, 3, 4.5]);
  });

  it('decodes msgpack with raw little-endian bytes, also when the bytes are misaligned', () => {
    const f = new Float32Array([1.5, -2, 3.25]);
    const body = encodeTensorsMsgpack([{ name: 'x', datatype: 'FP32', shape: [1, 3], data: f }]);
    const inv = decodeInvocation(body, 'application/msgpack');
    if (inv.type !== 'tensors') throw new Error('tensors expected');
    expect(Array.from(inv.inputs[0].data as Float32Array)).toEqual([1.5, -2, 3.25]);
  });

  it('decodes INT64 from JSON integers', () => {
    const inv = decodeInvocation(json({ inputs: [{ name: 'sr', shape: [], datatype: 'INT64', data: [16000] }] }), undefined);
    if (inv.type !== 'tensors') throw new Error('tensors expected');
    expect((inv.inputs[0].data as BigInt64Array)[0]).toBe(16000n);
  });

  it('passes other media types through as bytes', () => {
    const inv = decodeInvocation(Buffer.from([0x89, 0x50]), 'image/png');
    expect(inv).toEqual({ type: 'media', mediaType: 'image/png', bytes: Buffer.from([0x89, 0x50]) });
  });

  it.each([
    ['garbage JSON', Buffer.from('{nope'), 'application/json', /not valid JSON/],
    ['garbage msgpack', Buffer.from([0xc1, 0xc1]), 'application/msgpack', /not valid msgpack|inputs/],
    ['no inputs', json({ foo: 1 }), 'application/json', /"inputs" array/],
    ['empty inputs', json({ inputs: [] }), 'application/json', /empty/],
    ['bad datatype', json({ inputs: [{ name: 'x', shape: [1], datatype: 'FP8', data: [1] }] }), 'application/json', /datatype "FP8"/],
    [
      'shape/data mismatch',
      json({ inputs: [{ name: 'x', shape: [2, 2], datatype: 'FP32', data: [1, 2, 3] }] }),
      'application/json',
      /needs 4 elements, data has 3/,
    ],
    ['non-number', json({ inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: ['a'] }] }), 'application/json', /not a number/],
    [
      'duplicate input',
      json({
        inputs: [
          { name: 'x', shape: [1], datatype: 'FP32', data: [1] },
          { name: 'x', shape: [1], datatype: 'FP32', data: [1] },
        ],
      }),
      'application/json',
      /given twice/,
    ],
    [
      'bytes not multiple of element',
      packr.pack({ inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: Buffer.from([1, 2, 3]) }] }),
      'application/msgpack',
      /not a whole number/,
    ],
  ])('%s → 400 saying what is wrong', (_what, body, ct, message) => {
    expect(badInput(() => decodeInvocation(body, ct)).message).toMatch(message);
  });
});

describe(encodeResult.name, () => {
  const outputs = [{ name: 'y', datatype: 'FP32' as const, shape: [1, 2], data: new Float32Array([0.5, 1]) }];

  it.each([['application/json'], ['application/msgpack']])('round-trips tensors as %s', (accept) => {
    const { body, contentType } = encodeResult({ type: 'tensors', outputs }, { modelName: 'm', id: 'r' }, accept);
    expect(contentType).toBe(accept);
    const back = decodeResultTensors(body, contentType);
    expect(back[0].shape).toEqual([1, 2]);
    expect(Array.from(back[0].data as Float32Array)).toEqual([0.5, 1]);
  });

  it('writes the KServe v2 response layout in JSON', () => {
    const { body } = encodeResult({ type: 'tensors', outputs }, { modelName: 'm', id: 'r' }, undefined);
    expect(JSON.parse(Buffer.from(body).toString())).toEqual({
      model_name: 'm',
      id: 'r',
      outputs: [{ name: 'y', datatype: 'FP32', shape: [1, 2], data: [0.5, 1] }],
    });
  });
});
