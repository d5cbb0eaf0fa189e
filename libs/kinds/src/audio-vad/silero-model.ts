import { EparaError, ModelInfo, PreparedRequest, Tensor, TensorSpec } from '@epara/contracts';
import { VAD_SAMPLE_RATE } from './audio-codec';
import { VAD_CONTEXT_SAMPLES, VAD_STATE_SIZE, VAD_WINDOW_SAMPLES, VadWindowResult, VadWindowRun } from './types';

/** Silero VAD v5's tensor names: `input` [B, S], `state` [2, B, 128], `sr` []; `output` [B, 1], `stateN` [2, B, 128]. */
const SILERO = { input: 'input', state: 'state', sr: 'sr', prob: 'output', stateN: 'stateN' } as const;
const describe = (specs: readonly TensorSpec[]) => specs.map((s) => `${s.name} ${s.datatype} [${s.shape.join(',')}]`).join(', ');

/**
 * Why a model cannot serve the `audio-vad` kind, or undefined when it has Silero VAD v5's signature
 * (inputs `input` FP32 rank 2, `state` FP32 rank 3 batched on axis 1, `sr` INT64; outputs `output`, `stateN`).
 */
export function sileroSignatureProblem(model: Pick<ModelInfo, 'inputs' | 'outputs'>): string | undefined {
  const input = model.inputs.find((i) => i.name === SILERO.input);
  const state = model.inputs.find((i) => i.name === SILERO.state);
  const sr = model.inputs.find((i) => i.name === SILERO.sr);
  const ok =
    model.inputs.length === 3 &&
    input?.datatype === 'FP32' &&
    input.shape.length === 2 &&
    state?.datatype === 'FP32' &&
    state.shape.length === 3 &&
    state.batchAxis === 1 &&
    sr?.datatype === 'INT64' &&
    model.outputs.some((o) => o.name === SILERO.prob) &&
    model.outputs.find((o) => o.name === SILERO.stateN)?.batchAxis === 1;
  if (ok) return undefined;
  return `an audio-vad function needs Silero VAD v5 (inputs input FP32 [B,S], state FP32 [2,B,128], sr INT64 []; outputs output [B,1], stateN [2,B,128]); this model has inputs ${describe(model.inputs)} and outputs ${describe(model.outputs)}`;
}

const SR = new BigInt64Array([BigInt(VAD_SAMPLE_RATE)]);

/** One window as a one-item request in the model's input order: requests of all streams share one group (one run). */
export function sileroWindowRequest(run: VadWindowRun, model: Pick<ModelInfo, 'inputs'>): PreparedRequest {
  const byName: Record<string, Tensor> = {
    [SILERO.input]: { name: SILERO.input, datatype: 'FP32', shape: [1, run.input.length], data: run.input },
    [SILERO.state]: { name: SILERO.state, datatype: 'FP32', shape: [2, 1, VAD_STATE_SIZE / 2], data: run.state },
    [SILERO.sr]: { name: SILERO.sr, datatype: 'INT64', shape: [], data: SR },
  };
  return { inputs: model.inputs.map((spec) => byName[spec.name]), items: 1, groupKey: `vad-${run.input.length}` };
}

/** Each window's probability and new state from its slice of the outputs (model output order). */
export function sileroWindowResults(outputs: readonly Tensor[][], model: Pick<ModelInfo, 'outputs'>): VadWindowResult[] {
  const p = model.outputs.findIndex((o) => o.name === SILERO.prob);
  const s = model.outputs.findIndex((o) => o.name === SILERO.stateN);
  if (p < 0 || s < 0) throw new EparaError(500, `the VAD model has no "${SILERO.prob}" or "${SILERO.stateN}" output`);
  return outputs.map((o) => ({ prob: (o[p].data as Float32Array)[0], state: Float32Array.from(o[s].data as Float32Array) }));
}

/** A window of a quiet tone with zero state: what the profiler times (Silero needs a whole window to run). */
export function sileroSample(model: Pick<ModelInfo, 'inputs'>): PreparedRequest {
  const input = new Float32Array(VAD_CONTEXT_SAMPLES + VAD_WINDOW_SAMPLES).map((_, i) => 0.1 * Math.sin(i / 5));
  return sileroWindowRequest({ input, state: new Float32Array(VAD_STATE_SIZE) }, model);
}
