import { onnx } from 'onnx-proto';
import { inspectModel } from '../onnx/model-inspector';
import { sampleTensors } from '../onnx/sample-inputs';
import { buildMlp } from '../synthetic';
import { partitionModel } from './partitioner';
import { probeStageSignatures } from './probe-stages';

/** The synthetic MLP with its batch dimension fixed at 1 (like ISNet's [1,3,1024,1024]). */
function fixedBatchMlp(): Uint8Array {
  const m = onnx.ModelProto.decode(buildMlp());
  for (const v of [...m.graph!.input!, ...m.graph!.output!]) v.type!.tensorType!.shape!.dim![0] = { dimValue: 1 };
  return onnx.ModelProto.encode(m).finish();
}

describe('probeStageSignatures', () => {
  it('finds the batch axis of every crossing tensor of a batchable model', async () => {
    const bytes = buildMlp();
    const info = await inspectModel(bytes);
    const plan = partitionModel(bytes, { stages: 2 });
    const sigs = await probeStageSignatures(
      plan,
      sampleTensors({ sha256: '', sizeBytes: 0, format: 'onnx', source: 'test', ...info }).inputs,
      info.inputs,
    );
    expect(sigs.map((s) => s.batchable)).toEqual([true, true]);
    for (const s of sigs) for (const t of [...s.inputs, ...s.outputs]) expect(t.batchAxis).toBe(0);
  });

  it('probes a model whose batch is fixed at 1 once, giving its stages fixed shapes and no batching', async () => {
    const bytes = fixedBatchMlp();
    const info = await inspectModel(bytes);
    expect(info.inputs[0]).toMatchObject({ shape: [1, 256], batchAxis: null });
    const plan = partitionModel(bytes, { stages: 2 });
    const sigs = await probeStageSignatures(
      plan,
      sampleTensors({ sha256: '', sizeBytes: 0, format: 'onnx', source: 'test', ...info }).inputs,
      info.inputs,
    );
    expect(sigs.map((s) => s.batchable)).toEqual([false, false]);
    const cut = sigs[0].outputs[0];
    expect(cut.batchAxis).toBeNull();
    expect(cut.shape.every((d) => typeof d === 'number')).toBe(true);
    expect(sigs[1].inputs.map((t) => t.name)).toContain(cut.name);
  });
});
