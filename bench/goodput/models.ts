/**
 * Maps a workload's model profile names to real models the live platform can serve: the deploy spec
 * (bundled model or uploaded bytes) and one pre-encoded msgpack request body.
 */
import { encodeTensorsMsgpack, Tensor } from '@epara/contracts';
import { buildCnn, buildMlp, bundledModelPath } from '@epara/runtime';
import { existsSync } from 'node:fs';
import type { WorkloadFunction } from '../workload';

export interface LiveModel {
  /** Model part of the deploy spec: `{ bundled }`, or undefined when `bytes` are uploaded. */
  model?: { bundled: string };
  bytes?: Uint8Array;
  /** One request (batch 1). */
  inputs: Tensor[];
  label: string;
}

const wave = (n: number, k = 7) => Float32Array.from({ length: n }, (_, i) => 0.1 * Math.sin(i / k));

const bundled = (name: string): { bundled: string } => {
  const p = bundledModelPath(name);
  if (!existsSync(p)) throw new Error(`${p} is missing: run \`npm run fetch-models\` first`);
  return { bundled: name };
};

const MODELS: Record<string, () => LiveModel> = {
  cnn: () => ({ label: 'synthetic CNN [1,3,64,64] (buildCnn)', bytes: buildCnn({ size: 64 }), inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3, 64, 64], data: wave(3 * 64 * 64) }] }),
  mlp: () => ({ label: 'synthetic MLP [1,256] (buildMlp)', bytes: buildMlp(), inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 256], data: wave(256) }] }),
  vad: () => ({
    label: 'Silero VAD (bundled silero-vad, 512 samples)',
    model: bundled('silero-vad'),
    inputs: [
      { name: 'input', datatype: 'FP32', shape: [1, 512], data: wave(512) },
      { name: 'state', datatype: 'FP32', shape: [2, 1, 128], data: new Float32Array(256) },
      { name: 'sr', datatype: 'INT64', shape: [], data: BigInt64Array.from([16000n]) },
    ],
  }),
  ocr_det: () => ({ label: 'PP-OCR det (bundled ppocr-det, x [1,3,320,320])', model: bundled('ppocr-det'), inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3, 320, 320], data: wave(3 * 320 * 320, 13) }] }),
  ocr_rec: () => ({ label: 'PP-OCR rec (bundled ppocr-rec, x [1,3,48,320])', model: bundled('ppocr-rec'), inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3, 48, 320], data: wave(3 * 48 * 320, 11) }] }),
};
MODELS.rec = MODELS.ocr_rec;

export const LIVE_PROFILE_NAMES = Object.keys(MODELS);

/** The real model for a workload function's profile; throws naming every supported profile otherwise. */
export function liveModelFor(f: WorkloadFunction): LiveModel {
  const make = MODELS[f.profileName];
  if (!make) {
    throw new Error(`function ${f.name}: profile "${f.profileName}" has no real model for the live replay (supported: ${LIVE_PROFILE_NAMES.join(', ')})`);
  }
  return make();
}

/** The deploy spec for a workload function (tensor kind, its SLO, expected rps and hints). */
export function deploySpec(f: WorkloadFunction, m: LiveModel): Record<string, unknown> {
  const spec: Record<string, unknown> = { name: f.name, kind: 'tensor', slo: { latencyMs: f.sloMs } };
  if (f.expectedRps !== undefined) spec.expected = { rps: f.expectedRps };
  if (f.hints && Object.keys(f.hints).length) spec.hints = { ...f.hints };
  if (m.model) spec.model = m.model;
  return spec;
}

export const bodyFor = (m: LiveModel): Uint8Array => encodeTensorsMsgpack(m.inputs);
