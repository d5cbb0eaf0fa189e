import { existsSync, readFileSync } from 'node:fs';
import { onnx } from 'onnx-proto';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { bundledModelPath } from '../model-cache';
import { buildAdd, buildCnn, buildMlp, mulberry32 } from '../synthetic';
import { encodeModel, floatInitializer, floatValueInfo, intAttr, node } from '../synthetic/onnx-builder';
import { balanceByMeasured, partitionModel, PartitionResult, runPipeline } from './index';

const open = (bytes: Uint8Array, threads = 1) =>
  InferenceSession.create(bytes, { intraOpNumThreads: threads, executionProviders: ['cpu'] });

function randomFloats(count: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: count }, () => random() * 2 - 1);
}

/** Runs the original model and the stages in sequence on the same feeds; returns the largest |difference| over all outputs. */
async function pipelineDeviation(model: Uint8Array, plan: PartitionResult, feeds: Record<string, Tensor>, threads = 1): Promise<number> {
  const whole = await open(model, threads);
  const stages = await Promise.all(plan.stages.map((s) => open(s.model, threads)));
  try {
    const expected = await whole.run(feeds);
    const actual = await runPipeline(stages, plan, feeds);
    expect(Object.keys(actual).sort()).toEqual([...whole.outputNames].sort());
    let worst = 0;
    for (const name of whole.outputNames) {
      expect(actual[name].dims).toEqual(expected[name].dims);
      const [a, b] = [expected[name].data as Float32Array, actual[name].data as Float32Array];
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(Number(a[i]) - Number(b[i])));
    }
    return worst;
  } finally {
    await Promise.all([whole.release(), ...stages.map((s) => s.release())]);
  }
}

/** Structural invariants every partition must satisfy, whatever the model. */
function expectWellFormed(plan: PartitionResult, stages: number): void {
  expect(plan.stages).toHaveLength(stages);
  expect(plan.cutTensors).toHaveLength(stages - 1);
  plan.stages.forEach((stage, i) => {
    expect(stage.index).toBe(i);
    expect(stage.nodeRange[0]).toBe(i === 0 ? 0 : plan.stages[i - 1].nodeRange[1]);
    expect(stage.nodeRange[1]).toBeGreaterThan(stage.nodeRange[0]);
    if (i < stages - 1) {
      // Every tensor a stage hands on is carried at its cut, and everything carried is available there.
      const carried = new Set(plan.cutTensors[i]);
      expect(plan.cutTensors[i].length).toBeGreaterThan(0);
      const next = plan.stages[i + 1];
      next.inputs.forEach((name) => expect(carried.has(name)).toBe(true));
    }
  });
}

async function realModel(name: string): Promise<Uint8Array> {
  const path = bundledModelPath(name);
  // Deliberately not skipped when missing: a skipped test would hide that the real path never ran.
  if (!existsSync(path)) throw new Error(`${path} is missing: run npm run fetch-models (node scripts/fetch-models.mjs) first`);
  return readFileSync(path);
}

describe('partitionModel on synthetic models', () => {
  const mlpFeeds = () => ({ x: new Tensor('float32', randomFloats(3 * 256, 1), [3, 256]) });
  const cnnFeeds = () => ({ x: new Tensor('float32', randomFloats(3 * 3 * 64 * 64, 2), [3, 3, 64, 64]) });

  it.each([
    ['MLP', 2],
    ['MLP', 3],
    ['CNN', 2],
    ['CNN', 3],
  ] as const)('%s in %i stages gives the original outputs (max abs diff ≤ 1e-5)', async (kind, stages) => {
    const model = kind === 'MLP' ? buildMlp() : buildCnn();
    const plan = partitionModel(model, { stages });
    expectWellFormed(plan, stages);
    expect(plan.stages[0].inputs).toEqual(['x']);
    expect(plan.stages[stages - 1].outputs).toEqual(['logits']);
    // Chains: exactly one activation crosses each cut, and no weight ever does.
    plan.cutTensors.forEach((crossing) => expect(crossing).toHaveLength(1));
    // No weight is shared between these layers, so the stages split the weights exactly.
    const wholeBytes = partitionModel(model, { stages: 1 }).stages[0].weightBytes;
    expect(plan.stages.reduce((sum, s) => sum + s.weightBytes, 0)).toBe(wholeBytes);
    expect(await pipelineDeviation(model, plan, kind === 'MLP' ? mlpFeeds() : cnnFeeds())).toBeLessThanOrEqual(1e-5);
  });

  it('one stage is the whole model', async () => {
    const plan = partitionModel(buildMlp(), { stages: 1 });
    expectWellFormed(plan, 1);
    expect(plan.stages[0]).toMatchObject({ inputs: ['x'], outputs: ['logits'], nodeCount: 5, nodeRange: [0, 5] });
    expect(await pipelineDeviation(buildMlp(), plan, mlpFeeds())).toBe(0);
  });

  it('balances MLP weights: the first Gemm apart from the larger second one', () => {
    // W1 256×512 (0.5 MiB), W2 512×512 (1 MiB), W3 512×10: the cost-balanced cut falls after layer 1.
    const plan = partitionModel(buildMlp(), { stages: 2 });
    expect(plan.stages.map((s) => s.weightBytes)).toEqual([(512 * 256 + 512) * 4, (512 * 512 + 512 + 10 * 512 + 10) * 4]);
    expect(plan.cutTensors).toEqual([['r1']]);
    expect(plan.reason).toMatch(/2 stage\(s\) over 5 compute nodes/);
  });

  it('carries model inputs and early model outputs across cuts (two outputs, two inputs)', async () => {
    const model = buildAdd();
    const plan = partitionModel(model, { stages: 2 });
    expectWellFormed(plan, 2);
    expect(plan.stages.map((s) => [s.inputs, s.outputs])).toEqual([
      [['a', 'b'], ['sum']],
      [['a', 'b'], ['prod']],
    ]);
    expect(plan.cutTensors).toEqual([['a', 'b', 'sum']]);
    const feeds = { a: new Tensor('float32', randomFloats(8, 3), [2, 4]), b: new Tensor('float32', randomFloats(8, 4), [2, 4]) };
    expect(await pipelineDeviation(model, plan, feeds)).toBe(0);
  });

  it('a skip connection needed two stages later is handed on at both cuts, not forwarded by the middle stage', async () => {
    // x → a = Relu(x) → b = Neg(a) → c = Abs(b) → out = Add(c, a); costs 1, 1, 2, 2 give stages [a, b], [c], [out].
    const model = encodeModel(
      {
        name: 'skip',
        node: [node('Relu', ['x'], 'a'), node('Neg', ['a'], 'b'), node('Abs', ['b'], 'c'), node('Add', ['c', 'a'], 'out')],
        input: [floatValueInfo('x', ['batch', 4])],
        output: [floatValueInfo('out', ['batch', 4])],
      },
      'skip connection',
    );
    const plan = partitionModel(model, { stages: 3, weights: (n) => (n.opType === 'Abs' || n.opType === 'Add' ? 2 : 1) });
    expectWellFormed(plan, 3);
    expect(plan.stages.map((s) => s.nodeRange)).toEqual([
      [0, 2],
      [2, 3],
      [3, 4],
    ]);
    const holders = plan.cutTensors.map((crossing) => crossing.includes('a'));
    expect(holders).toEqual([true, true]);
    const stageReadingA = plan.stages.findIndex((s, i) => i > 0 && s.inputs.includes('a'));
    expect(stageReadingA).toBe(2);
    expect(plan.stages[1].outputs).not.toContain('a');
    expect(plan.stages[0].outputs).toContain('a');
    expect(await pipelineDeviation(model, plan, { x: new Tensor('float32', randomFloats(8, 5), [2, 4]) })).toBe(0);
  });

  it('sorts a graph whose nodes are stored out of topological order', async () => {
    const decoded = onnx.ModelProto.decode(buildMlp());
    decoded.graph!.node = [...decoded.graph!.node!].reverse();
    const shuffled = onnx.ModelProto.encode(decoded).finish();
    const plan = partitionModel(shuffled, { stages: 3 });
    expectWellFormed(plan, 3);
    expect(plan.reason).toMatch(/not topological; sorted/);
    expect(await pipelineDeviation(buildMlp(), plan, mlpFeeds())).toBeLessThanOrEqual(1e-5);
  });

  it('copies weights computed from weights into the stages that read them instead of sending them across a cut', async () => {
    // Like onnxruntime's quantizer output: weight-only nodes (here Transpose(W)) hoisted to the front.
    const random = mulberry32(9);
    const weight = (name: string, n: number) =>
      floatInitializer(
        name,
        [n, n],
        Float32Array.from({ length: n * n }, () => random() - 0.5),
      );
    const model = encodeModel(
      {
        name: 'hoisted',
        node: [
          node('Transpose', ['W1'], 'W1t'),
          node('Transpose', ['W2'], 'W2t'),
          node('MatMul', ['x', 'W1t'], 'h'),
          node('Relu', ['h'], 'r'),
          node('MatMul', ['r', 'W2t'], 'y'),
        ],
        initializer: [weight('W1', 16), weight('W2', 16)],
        input: [floatValueInfo('x', ['batch', 16])],
        output: [floatValueInfo('y', ['batch', 16])],
      },
      'hoisted weight transforms',
    );
    const plan = partitionModel(model, { stages: 2 });
    expectWellFormed(plan, 2);
    expect(plan.cutTensors[0]).not.toContain('W2t');
    expect(plan.cutTensors[0]).toHaveLength(1);
    expect(plan.stages.map((s) => s.weightBytes)).toEqual([16 * 16 * 4, 16 * 16 * 4]);
    expect(await pipelineDeviation(model, plan, { x: new Tensor('float32', randomFloats(32, 6), [2, 16]) })).toBeLessThanOrEqual(1e-6);
  });

  it('declares the element type of non-float tensors that cross a cut (bool from Greater)', async () => {
    const model = encodeModel(
      {
        name: 'mask',
        node: [
          node('Greater', ['x', 'zero'], 'mask'),
          node('Cast', ['mask'], 'maskf', [intAttr('to', onnx.TensorProto.DataType.FLOAT)]),
          node('Mul', ['maskf', 'x'], 'y'),
        ],
        initializer: [floatInitializer('zero', [], new Float32Array([0]))],
        input: [floatValueInfo('x', ['batch', 4])],
        output: [floatValueInfo('y', ['batch', 4])],
      },
      'bool crossing',
    );
    const plan = partitionModel(model, { stages: 2, weights: () => 1 });
    expect(plan.cutTensors[0]).toContain('mask');
    const stage1 = onnx.ModelProto.decode(plan.stages[1].model);
    const maskInput = stage1.graph!.input!.find((i) => i.name === 'mask');
    expect(maskInput?.type?.tensorType?.elemType).toBe(onnx.TensorProto.DataType.BOOL);
    expect(await pipelineDeviation(model, plan, { x: new Tensor('float32', randomFloats(8, 7), [2, 4]) })).toBe(0);
  });

  it('keeps stage model metadata: IR version, opsets, producer', () => {
    const plan = partitionModel(buildCnn(), { stages: 2 });
    for (const stage of plan.stages) {
      const decoded = onnx.ModelProto.decode(stage.model);
      expect(Number(decoded.irVersion)).toBe(8);
      expect(decoded.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 13]]);
      expect(decoded.producerName).toBe('epara-synthetic');
      expect(decoded.graph!.initializer!.length).toBeGreaterThan(0);
    }
  });
});

describe('maxStageBytes', () => {
  // MLP weights: layer 1 526,336 B, layer 2 1,050,624 B, layer 3 20,520 B.
  const mlp = buildMlp();

  it('is honoured, moving a cut away from the cost balance when it must', async () => {
    // Make the last Gemm look expensive, so cost balance alone puts layers 1 and 2 together (1.5 MiB).
    const lastLayerHeavy = (n: onnx.INodeProto) => (n.name === 'gemm_logits' ? 10 : 1);
    const free = partitionModel(mlp, { stages: 2, weights: lastLayerHeavy });
    expect(free.stages.map((s) => s.nodeRange)).toEqual([
      [0, 4],
      [4, 5],
    ]);
    expect(free.stages[0].weightBytes).toBe(526_336 + 1_050_624);

    const maxStageBytes = 1_100_000;
    const bounded = partitionModel(mlp, { stages: 2, weights: lastLayerHeavy, maxStageBytes });
    expect(bounded.stages.map((s) => s.nodeRange)).toEqual([
      [0, 2],
      [2, 5],
    ]);
    bounded.stages.forEach((s) => expect(s.weightBytes).toBeLessThanOrEqual(maxStageBytes));
    expect(bounded.reason).toMatch(/within maxStageBytes 1\.05 MiB/);
    expect(await pipelineDeviation(mlp, bounded, { x: new Tensor('float32', randomFloats(256, 8), [1, 256]) })).toBeLessThanOrEqual(1e-5);
  });

  it('fails clearly when the weights need more stages than asked for', () => {
    expect(() => partitionModel(mlp, { stages: 2, maxStageBytes: 1_060_000 })).toThrow(
      /do not fit in 2 stages of at most .*: at least 3 stages are needed/,
    );
  });

  it('fails clearly when one node alone is larger than the limit', () => {
    expect(() => partitionModel(mlp, { stages: 5, maxStageBytes: 1_000_000 })).toThrow(
      /impossible: Gemm "gemm_h2" alone holds 1\.00 MiB of weights/,
    );
  });
});

describe('partitionModel arguments', () => {
  it('rejects a stage count below 1 or above the number of compute nodes', () => {
    expect(() => partitionModel(buildMlp(), { stages: 0 })).toThrow(/stages must be an integer ≥ 1/);
    expect(() => partitionModel(buildMlp(), { stages: 6 })).toThrow(/only 5 compute nodes/);
  });

  it('rejects bytes that are not an ONNX model', () => {
    expect(() => partitionModel(new Uint8Array([1, 2, 3, 4, 5]), { stages: 2 })).toThrow(/not an ONNX ModelProto|no graph/);
  });
});

describe('balanceByMeasured', () => {
  it('moves the cut away from the stage that measured slower', () => {
    const model = buildCnn();
    const first = partitionModel(model, { stages: 2 });
    const slowFirstStage = balanceByMeasured(first, [30, 10]);
    const second = partitionModel(model, { stages: 2, weights: slowFirstStage });
    expect(second.stages[0].nodeRange[1]).toBeLessThan(first.stages[0].nodeRange[1]);
    // Under the rebalanced costs, the old split costs exactly the measured times.
    const replay = partitionModel(model, { stages: 1, weights: slowFirstStage });
    expect(replay.stages[0].estimatedCost).toBeCloseTo(40, 9);
  });

  it('rejects times that do not match the stages', () => {
    const plan = partitionModel(buildCnn(), { stages: 2 });
    expect(() => balanceByMeasured(plan, [1])).toThrow(/1 times for 2 stages/);
    expect(() => balanceByMeasured(plan, [1, 0])).toThrow(/positive/);
  });
});

describe('partitionModel on real models', () => {
  it('Silero VAD: its If node (two 113-node branches) stays whole, with the outer-scope tensors it reads', async () => {
    const model = await realModel('silero-vad');
    const plan = partitionModel(model, { stages: 2 });
    expectWellFormed(plan, 2);
    const withIf = plan.stages.filter((s) => onnx.ModelProto.decode(s.model).graph!.node!.some((n) => n.opType === 'If'));
    expect(withIf).toHaveLength(1);
    expect(withIf[0].inputs).toEqual(expect.arrayContaining(['input', 'state', 'sr']));
    // The branches' weights count toward the stage holding the If.
    expect(withIf[0].weightBytes).toBeGreaterThan(2_000_000);
    const feeds = {
      input: new Tensor('float32', randomFloats(512, 10), [1, 512]),
      state: new Tensor('float32', new Float32Array(2 * 128), [2, 1, 128]),
      sr: new Tensor('int64', BigInt64Array.from([16000n]), []),
    };
    expect(await pipelineDeviation(model, plan, feeds)).toBeLessThanOrEqual(1e-5);
  });

  it.each([2, 3])('PP-OCR det in %i stages matches the whole model within 1e-4 at [1,3,320,320]', async (stages) => {
    const model = await realModel('ppocr-det');
    const plan = partitionModel(model, { stages });
    expectWellFormed(plan, stages);
    const total = plan.stages.reduce((sum, s) => sum + s.weightBytes, 0);
    // Weights (all in Constant nodes in this export) roughly balanced: no stage holds more than 1.6× its share.
    plan.stages.forEach((s) => expect(s.weightBytes).toBeLessThan((1.6 * total) / stages));
    // DBNet's FPN reads four backbone levels, so a cut carries at most those four feature maps.
    plan.cutTensors.forEach((crossing) => expect(crossing.length).toBeLessThanOrEqual(4));
    const feeds = { x: new Tensor('float32', randomFloats(3 * 320 * 320, 11), [1, 3, 320, 320]) };
    expect(await pipelineDeviation(model, plan, feeds)).toBeLessThanOrEqual(1e-4);
  });

  it('PP-OCR det honours maxStageBytes with three stages', async () => {
    const model = await realModel('ppocr-det');
    const maxStageBytes = 2_000_000; // 4.5 MB of weights in total
    const plan = partitionModel(model, { stages: 3, maxStageBytes });
    plan.stages.forEach((s) => expect(s.weightBytes).toBeLessThanOrEqual(maxStageBytes));
    expect(() => partitionModel(model, { stages: 2, maxStageBytes })).toThrow(/at least 3 stages are needed/);
  });

  // ISNet small is an optional download (44 MB, about 5 s per run on a CPU): opt in with EPARA_TEST_ISNET=1
  // after `node scripts/fetch-models.mjs --only isnet-small`; once opted in, a missing file fails.
  const isnetTest = process.env.EPARA_TEST_ISNET === '1' ? it : it.skip;
  isnetTest(
    'ISNet small (quantized, 12 outputs) in 2 stages matches within 1e-4 at [1,3,1024,1024] (EPARA_TEST_ISNET=1)',
    async () => {
      const model = await realModel('isnet-small');
      const plan = partitionModel(model, { stages: 2 });
      expectWellFormed(plan, 2);
      // The quantizer's hoisted Reshape(bias) nodes are weights, not crossings: only U²-Net's skip tensors cross.
      expect(plan.cutTensors[0].length).toBeLessThanOrEqual(12);
      const feeds = { input: new Tensor('float32', randomFloats(3 * 1024 * 1024, 12), [1, 3, 1024, 1024]) };
      expect(await pipelineDeviation(model, plan, feeds, 2)).toBeLessThanOrEqual(1e-4);
    },
    300_000,
  );
});
