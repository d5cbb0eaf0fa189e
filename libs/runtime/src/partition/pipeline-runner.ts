import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { PartitionResult } from './types';

/**
 * Runs partition stages one after another in this process, the way the pipeline moves a request:
 * each stage takes its inputs from the tensors carried so far, and after stage j only `cutTensors[j]`
 * travel on (everything else is dropped), so a missing entry in the plan fails here as it would
 * across devices. Returns the original model's outputs.
 */
export async function runPipeline(
  sessions: readonly InferenceSession[],
  plan: PartitionResult,
  feeds: Readonly<Record<string, Tensor>>,
): Promise<Record<string, Tensor>> {
  if (sessions.length !== plan.stages.length) throw new Error(`runPipeline: ${sessions.length} sessions for ${plan.stages.length} stages`);
  const missingFeeds = plan.modelInputs.filter((name) => !(name in feeds));
  if (missingFeeds.length > 0) throw new Error(`runPipeline: missing model input(s) ${missingFeeds.join(', ')}`);

  let carried = new Map<string, Tensor>(Object.entries(feeds));
  for (const [index, stage] of plan.stages.entries()) {
    const stageFeeds: Record<string, Tensor> = {};
    for (const name of stage.inputs) {
      const tensor = carried.get(name);
      if (!tensor) throw new Error(`runPipeline: stage ${index} needs "${name}", which no earlier stage handed on`);
      stageFeeds[name] = tensor;
    }
    const produced = await sessions[index].run(stageFeeds);
    for (const name of stage.outputs) carried.set(name, produced[name]);
    const isLast = index === plan.stages.length - 1;
    if (!isLast) carried = new Map(plan.cutTensors[index].map((name) => [name, carried.get(name)!]));
  }
  const outputs: Record<string, Tensor> = {};
  for (const name of plan.modelOutputs) {
    const tensor = carried.get(name);
    if (!tensor) throw new Error(`runPipeline: model output "${name}" was not delivered by any stage`);
    outputs[name] = tensor;
  }
  return outputs;
}
