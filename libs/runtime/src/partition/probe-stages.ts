import * as ort from 'onnxruntime-node';
import { datatypeFromOrt, EparaError, ortType, Tensor, TensorSpec } from '@epara/contracts';
import { stackTensors } from '../batching/stack';
import type { PartitionResult } from './types';

export interface StageSignature {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  batchable: boolean;
}

type Live = Map<string, ort.Tensor>;

async function runStages(sessions: ort.InferenceSession[], plan: PartitionResult, feeds: Record<string, ort.Tensor>): Promise<Live> {
  const live: Live = new Map(Object.entries(feeds));
  for (let i = 0; i < sessions.length; i++) {
    const stage = plan.stages[i];
    const inputs: Record<string, ort.Tensor> = {};
    for (const name of stage.inputs) inputs[name] = live.get(name)!;
    const out = await sessions[i].run(inputs);
    for (const [name, t] of Object.entries(out)) live.set(name, t);
  }
  return live;
}

/**
 * Crossing tensors carry no declared shape in stage models, so neither validation nor batching would
 * know their batch axis. This runs the stages once at batch 1 and once at batch 2 (a sample request
 * stacked twice) and reads, for every stage input and output, its datatype, its shape and the axis that
 * grew with the batch. Stages then validate and batch like whole models. A model whose batch is fixed
 * (no input has a batch axis, e.g. ISNet's [1,3,1024,1024]) runs once: its stages get fixed shapes and
 * are not batchable.
 */
export async function probeStageSignatures(plan: PartitionResult, sample: Tensor[], sampleSpecs: TensorSpec[]): Promise<StageSignature[]> {
  const sessions = await Promise.all(
    plan.stages.map((s) => ort.InferenceSession.create(s.model, { intraOpNumThreads: 1, logSeverityLevel: 4 })),
  );
  try {
    const feeds = (batch: number) =>
      Object.fromEntries(
        sample.map((t, i) => {
          const stacked = batch === 1 ? t : stackTensors(new Array<Tensor>(batch).fill(t), sampleSpecs[i]);
          return [t.name, new ort.Tensor(ortType(stacked.datatype) as ort.Tensor.Type, stacked.data as never, stacked.shape)];
        }),
      );
    const one = await runStages(sessions, plan, feeds(1));
    // Nothing to stack when no input has a batch axis: a second run would repeat the first (ISNet: ~10 s
    // more of deploy time on one core).
    const two = sampleSpecs.some((s) => s.batchAxis !== null) ? await runStages(sessions, plan, feeds(2)) : undefined;
    // Sizes the sample guessed (symbolic non-batch dims of the model's inputs) say nothing about real
    // requests: original inputs keep their declared shapes, and crossing tensors then get free dims.
    const original = new Map(sampleSpecs.map((s) => [s.name, s]));
    const guessed = sampleSpecs.some((s) => s.shape.some((d, i) => i !== s.batchAxis && typeof d === 'string'));
    const spec = (name: string): TensorSpec => {
      const declared = original.get(name);
      if (declared) return declared;
      const a = one.get(name);
      const b = two?.get(name);
      if (!a || (two && !b)) throw new EparaError(500, `stage probe: tensor "${name}" was not produced`);
      const datatype = datatypeFromOrt(a.type);
      if (!datatype) throw EparaError.badInput(`tensor "${name}" crossing a stage cut has type ${a.type}, which Epara cannot carry`);
      const axis = b ? a.dims.findIndex((d, i) => b.dims[i] === 2 * d && d > 0) : -1;
      return {
        name,
        datatype,
        shape: a.dims.map((d, i) => (i === axis ? 'batch' : guessed ? '?' : d)),
        batchAxis: axis >= 0 ? axis : null,
      };
    };
    return plan.stages.map((s) => {
      const inputs = s.inputs.map(spec);
      const outputs = s.outputs.map(spec);
      return { inputs, outputs, batchable: inputs.some((t) => t.batchAxis !== null) && outputs.every((t) => t.batchAxis !== null) };
    });
  } finally {
    await Promise.all(sessions.map((s) => s.release()));
  }
}
