import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { buildAdd, buildCnn, buildMlp, mulberry32, writeSyntheticModels } from './index';

const open = (bytes: Uint8Array) => InferenceSession.create(bytes, { intraOpNumThreads: 1 });

function filled(n: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: n }, () => random() * 2 - 1);
}

describe('synthetic models', () => {
  it.each([1, 4])('MLP runs at batch %i with logits [batch, 10]', async (batch) => {
    const session = await open(buildMlp());
    expect(session.inputNames).toEqual(['x']);
    expect(session.outputNames).toEqual(['logits']);
    const out = await session.run({ x: new OrtTensor('float32', filled(batch * 256, 7), [batch, 256]) });
    expect(out.logits.dims).toEqual([batch, 10]);
    expect(Array.from(out.logits.data as Float32Array).every(Number.isFinite)).toBe(true);
    await session.release();
  });

  it('MLP honours its size options', async () => {
    const session = await open(buildMlp({ inputSize: 8, hidden: [16], outputs: 3 }));
    const out = await session.run({ x: new OrtTensor('float32', filled(2 * 8, 1), [2, 8]) });
    expect(out.logits.dims).toEqual([2, 3]);
    await session.release();
  });

  it.each([1, 4])('CNN runs at batch %i with logits [batch, 10]', async (batch) => {
    const session = await open(buildCnn());
    expect(session.inputNames).toEqual(['x']);
    const out = await session.run({ x: new OrtTensor('float32', filled(batch * 3 * 64 * 64, 3), [batch, 3, 64, 64]) });
    expect(out.logits.dims).toEqual([batch, 10]);
    expect(Array.from(out.logits.data as Float32Array).every(Number.isFinite)).toBe(true);
    await session.release();
  });

  it.each([1, 4])('add gives exactly a+b and a*b at batch %i', async (batch) => {
    const session = await open(buildAdd());
    const a = filled(batch * 4, 11);
    const b = filled(batch * 4, 12);
    const out = await session.run({ a: new OrtTensor('float32', a, [batch, 4]), b: new OrtTensor('float32', b, [batch, 4]) });
    expect(out.sum.dims).toEqual([batch, 4]);
    expect(out.prod.dims).toEqual([batch, 4]);
    // Float32 arithmetic in onnxruntime equals Math.fround of the float32 operands: compare exactly.
    expect(Array.from(out.sum.data as Float32Array)).toEqual(Array.from(a, (v, i) => Math.fround(v + b[i])));
    expect(Array.from(out.prod.data as Float32Array)).toEqual(Array.from(a, (v, i) => Math.fround(v * b[i])));
    await session.release();
  });

  it('same seed gives identical bytes, another seed different weights', () => {
    expect(Buffer.from(buildMlp({ seed: 5 })).equals(Buffer.from(buildMlp({ seed: 5 })))).toBe(true);
    expect(Buffer.from(buildCnn()).equals(Buffer.from(buildCnn()))).toBe(true);
    expect(Buffer.from(buildMlp({ seed: 5 })).equals(Buffer.from(buildMlp({ seed: 6 })))).toBe(false);
  });

  it('same seed gives identical outputs', async () => {
    const input = { x: new OrtTensor('float32', filled(256, 9), [1, 256]) };
    const first = await open(buildMlp({ seed: 3 }));
    const second = await open(buildMlp({ seed: 3 }));
    const [a, b] = [await first.run(input), await second.run(input)];
    expect(Array.from(a.logits.data as Float32Array)).toEqual(Array.from(b.logits.data as Float32Array));
    await Promise.all([first.release(), second.release()]);
  });

  it('writeSyntheticModels writes mlp, cnn and add', () => {
    const dir = mkdtempSync(join(tmpdir(), 'epara-synthetic-'));
    try {
      const paths = writeSyntheticModels(dir);
      expect(Object.keys(paths).sort()).toEqual(['add', 'cnn', 'mlp']);
      expect(paths.mlp).toBe(join(dir, 'mlp.onnx'));
      expect(Buffer.from(readFileSync(paths.cnn)).equals(Buffer.from(buildCnn()))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('mulberry32', () => {
  it('matches the reference sequence for seed 1', () => {
    // First outputs of the canonical mulberry32 (with Math.imul) for seed 1.
    const random = mulberry32(1);
    expect([random(), random(), random()]).toEqual([0.6270739405881613, 0.002735721180215478, 0.5274470399599522]);
  });
});
