import { existsSync, readFileSync } from 'node:fs';
import { Invocation, ModelInfo, Tensor } from '@epara/contracts';
import { tensorKind } from '@epara/kinds';
import { bundledModelPath } from '../model-cache';
import { LoadedModel } from './loaded-model';
import { inspectModel } from './model-inspector';
import { createSession } from './session-factory';

const VAD = bundledModelPath('silero-vad');

function vadRequest(seed: number): Invocation {
  const input = new Float32Array(512).map((_, i) => Math.sin((i + seed * 37) / 9) * 0.3);
  const state = new Float32Array(2 * 128).map((_, i) => ((i * (seed + 1)) % 7) / 70);
  const inputs: Tensor[] = [
    { name: 'input', datatype: 'FP32', shape: [1, 512], data: input },
    { name: 'state', datatype: 'FP32', shape: [2, 1, 128], data: state },
    { name: 'sr', datatype: 'INT64', shape: [], data: new BigInt64Array([16000n]) },
  ];
  return { type: 'tensors', inputs };
}

/** Batching must not change answers: Silero's state has its batch on axis 1, which the stacker must honour. */
describe('LoadedModel batching on the real Silero VAD', () => {
  it('gives each request of a batch exactly what it gets alone', async () => {
    if (!existsSync(VAD)) throw new Error(`${VAD} is missing: run npm run fetch-models`);
    const bytes = readFileSync(VAD);
    const sig = await inspectModel(bytes);
    expect(sig.inputs.find((i) => i.name === 'state')?.batchAxis).toBe(1);
    expect(sig.outputs.find((o) => o.name === 'stateN')?.batchAxis).toBe(1);
    expect(sig.batchable).toBe(true);
    const info: ModelInfo = { sha256: 'x', sizeBytes: bytes.byteLength, format: 'onnx', source: 'test', ...sig };
    const sut = new LoadedModel(info, tensorKind, await createSession(bytes, { provider: 'cpu', intraOpNumThreads: 1 }));
    try {
      const prepared = await Promise.all([0, 1, 2].map((s) => tensorKind.prepare(vadRequest(s), info)));
      expect(new Set(prepared.map((p) => p.groupKey)).size).toBe(1);
      const together = await sut.run(prepared);
      for (let r = 0; r < prepared.length; r++) {
        const [alone] = await sut.run([prepared[r]]);
        for (let o = 0; o < alone.length; o++) {
          expect(together[r][o].shape).toEqual(alone[o].shape);
          const a = alone[o].data as Float32Array;
          const b = together[r][o].data as Float32Array;
          for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-5);
        }
      }
    } finally {
      await sut.release();
    }
  });
});
