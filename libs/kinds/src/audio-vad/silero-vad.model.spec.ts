import { existsSync, readFileSync } from 'node:fs';
import { ModelInfo } from '@epara/contracts';
import { bundledModelPath, createSession, inspectModel, LoadedModel } from '@epara/runtime';
import { audioVadKind } from './audio-vad-kind';
import { sileroSignatureProblem, sileroWindowRequest, sileroWindowResults } from './silero-model';
import { VAD_WINDOW_SAMPLES, VadFrameOutcome, VadRunner } from './types';
import { VadStreamEngine } from './vad-stream-engine';

// The real Silero VAD v5. Deliberately not skipped when the model is missing: a silently skipped test
// would hide that the real path was never exercised.
const VAD = bundledModelPath('silero-vad');

/** A different signal per stream: tones with a little noise, 16 kHz. */
const signal = (stream: number, samples: number) =>
  Float32Array.from({ length: samples }, (_, i) => 0.3 * Math.sin((i * (stream + 2)) / 13) + 0.01 * Math.sin(i * 7.1 + stream));

describe('VadStreamEngine on the real Silero VAD v5', () => {
  let model: LoadedModel;
  let runner: VadRunner;

  beforeAll(async () => {
    if (!existsSync(VAD)) throw new Error(`${VAD} is missing: run \`npm run fetch-models\` first`);
    const bytes = readFileSync(VAD);
    const sig = await inspectModel(bytes);
    expect(sileroSignatureProblem(sig)).toBeUndefined();
    const info: ModelInfo = { sha256: 'silero', sizeBytes: bytes.byteLength, format: 'onnx', source: 'test', ...sig };
    model = new LoadedModel(info, audioVadKind, await createSession(bytes, { provider: 'cpu', intraOpNumThreads: 1 }));
    runner = { run: async (windows) => sileroWindowResults(await model.run(windows.map((w) => sileroWindowRequest(w, info))), info) };
  });
  afterAll(async () => {
    await model?.release();
  });

  it('gives each stream the same probabilities batched with others as alone: states are gathered and scattered per stream', async () => {
    const frames = (engine: VadStreamEngine, streams: number[]) =>
      Promise.all(
        streams.map(
          (s) =>
            new Promise<VadFrameOutcome>((onDone) =>
              engine.submit({ streamId: `s${s}`, samples: signal(s, 6 * VAD_WINDOW_SAMPLES), deadlineMs: Date.now() + 60_000, onDone }),
            ),
        ),
      );
    const steps: number[] = [];
    const together = await frames(new VadStreamEngine({ runner, onStep: (e) => steps.push(e.streams) }), [0, 1, 2, 3]);
    expect(steps).toEqual([4, 4, 4, 4, 4, 4]);
    for (let s = 0; s < 4; s++) {
      const [alone] = await frames(new VadStreamEngine({ runner }), [s]);
      const a = alone.ok ? alone.result.probabilities : [];
      const mixed = together[s];
      const b = mixed.ok ? mixed.result.probabilities : [];
      expect(a).toHaveLength(6);
      a.forEach((p, i) => expect(Math.abs(p - b[i])).toBeLessThan(1e-5));
    }
  });

  it('profiles with a real window (the kind sample runs)', async () => {
    const [out] = await model.run([audioVadKind.sample(model.info)]);
    expect(out.find((t) => t.name === 'output')?.shape).toEqual([1, 1]);
  });

  it('refuses a model without the Silero signature, naming what it has', () => {
    expect(sileroSignatureProblem({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 256], batchAxis: 0 }], outputs: [] })).toMatch(
      /^an audio-vad function needs Silero VAD v5 .*; this model has inputs x FP32 \[1,256\] and outputs $/,
    );
  });
});
