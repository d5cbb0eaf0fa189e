import { describePayload, formatBytes, prettyJson, table, tensorValues } from './format';
import { packr } from '@epara/contracts';

describe(prettyJson.name, () => {
  it('keeps arrays of scalars on one line and stays valid JSON', () => {
    const value = { name: 'sum', shape: [1, 4], data: [1.5, 2.25, 2, 14], nested: [{ a: [] }, {}], nothing: null };
    const sut = prettyJson(value);
    expect(sut).toBe(
      [
        '{',
        '  "name": "sum",',
        '  "shape": [1, 4],',
        '  "data": [1.5, 2.25, 2, 14],',
        '  "nested": [',
        '    {',
        '      "a": []',
        '    },',
        '    {}',
        '  ],',
        '  "nothing": null',
        '}',
      ].join('\n'),
    );
    expect(JSON.parse(sut)).toEqual(value);
  });
});

describe(table.name, () => {
  it('pads every column but the last and upper-cases the header', () => {
    expect(
      table(
        ['name', 'mode'],
        [
          ['add', 'dp'],
          ['a-longer-name', 'batch'],
        ],
      ),
    ).toEqual(['NAME           MODE', 'add            dp', 'a-longer-name  batch']);
  });
});

describe(describePayload.name, () => {
  it.each([
    [Buffer.from('{"a":[1,2]}'), undefined, ['{', '  "a": [1, 2]', '}']],
    [Buffer.from('hello\nworld\n'), 'text/plain', ['hello', 'world']],
    [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00]), 'image/png', ['<5 bytes> 89504e4700']],
    [packr.pack({ id: 'x', raw: Buffer.from([1, 2, 3]) }), 'application/msgpack', ['{', '  "id": "x",', '  "raw": "<3 bytes>"', '}']],
    [Buffer.alloc(0), undefined, ['<empty>']],
  ])('%#: %s as %s', (bytes, contentType, lines) => expect(describePayload(bytes, contentType)).toEqual(lines));
});

describe(tensorValues.name, () => {
  it('shows the first values and counts the rest', () => {
    const t = { name: 'x', datatype: 'FP32' as const, shape: [20], data: Float32Array.from({ length: 20 }, (_, i) => i / 10) };
    expect(tensorValues(t, 4)).toBe('0, 0.1, 0.2, 0.3, … (16 more)');
  });
});

describe(formatBytes.name, () => {
  it.each([
    [241, '241 B'],
    [1597917, '1.6 MB'],
    [6318718976, '6.3 GB'],
    [-1, '-'],
  ])('%d → %s', (n, s) => expect(formatBytes(n)).toBe(s));
});
