/**
 * Maps a workload's model profile names to real models the live platform can serve: the deploy spec
 * (kind, bundled model or uploaded bytes) and one pre-encoded request body with its content type.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { encodeTensorsMsgpack, FunctionKind, MediaType, Tensor } from '@epara/contracts';
import { buildCnn, buildMlp, bundledModelPath } from '@epara/runtime';
import { buildTinyGpt } from '@epara/generation/tiny-gpt';
import type { WorkloadFunction } from '@epara/workload';
import { renderTextImage } from '../../test/support/text-images';

export interface LiveModel {
  /** Model part of the deploy spec: `{ bundled }`, or undefined when `bytes` are uploaded. */
  model?: { bundled: string };
  /** An `ocr` function's three models instead of `model`. */
  models?: Record<'det' | 'cls' | 'rec', { bundled: string }>;
  bytes?: Uint8Array;
  /** Function kind to deploy. Default tensor. */
  kind?: FunctionKind;
  /** One request (batch 1) as tensors (msgpack body), or `body` with `contentType` for other kinds. */
  inputs?: Tensor[];
  body?: Uint8Array;
  contentType?: string;
  /** A stateful stream kind: each arrival source of the workload is one stream (`Epara-Stream-Id`). */
  streams?: boolean;
  /** Generative: the request streams tokens; its latency is the time to first token and its TPOT must meet `tpotSloMs`. */
  stream?: { tpotSloMs: number };
  label: string;
}

/** A 1920×1280 text page (the test fixture upscaled): large enough that one device misses a 200 ms SLO, so it is split (`sp`). */
const pageImage = (): Promise<Buffer> =>
  sharp(readFileSync(join(__dirname, '..', '..', 'test', 'fixtures', 'text-page.png')))
    .resize(1920, 1280, { fit: 'fill' })
    .png()
    .toBuffer();
/** Generation requests: 32 new tokens after a short prompt; TPOT SLO 30 ms (5× a decode step). */
const GPT_PROMPT = { prompt: 'The camera at the gate reports', max_tokens: 32, stream: true };
const GPT_TPOT_SLO_MS = 30;

/** `n` samples of 16-bit little-endian PCM: a tone, as a microphone's frame. */
const pcmFrame = (n: number): Uint8Array => {
  const pcm = new Int16Array(n);
  for (let i = 0; i < n; i++) pcm[i] = Math.round(3000 * Math.sin(i / 5));
  return new Uint8Array(pcm.buffer);
};

/** A small receipt: three lines of dark text on white. */
const receiptImage = (): Promise<Buffer> =>
  renderTextImage(480, 200, [
    { text: 'EDGE MARKET 0417', x: 30, baseline: 50, fontSize: 30 },
    { text: 'coffee beans 12.40', x: 30, baseline: 110, fontSize: 30 },
    { text: 'total EUR 15.90', x: 30, baseline: 170, fontSize: 30 },
  ]);

const wave = (n: number, k = 7) => Float32Array.from({ length: n }, (_, i) => 0.1 * Math.sin(i / k));

const bundled = (name: string): { bundled: string } => {
  const p = bundledModelPath(name);
  if (!existsSync(p)) throw new Error(`${p} is missing: run \`npm run fetch-models\` first`);
  return { bundled: name };
};

const MODELS: Record<string, () => LiveModel | Promise<LiveModel>> = {
  cnn: () => ({
    label: 'synthetic CNN [1,3,64,64] (buildCnn)',
    bytes: buildCnn({ size: 64 }),
    inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3, 64, 64], data: wave(3 * 64 * 64) }],
  }),
  mlp: () => ({
    label: 'synthetic MLP [1,256] (buildMlp)',
    bytes: buildMlp(),
    inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 256], data: wave(256) }],
  }),
  // A microphone: each arrival is one 32 ms frame (512 samples of 16 kHz 16-bit PCM) of its own stream;
  // the worker keeps the stream's recurrent state (the audio-vad kind), the device sends audio only.
  vad: () => ({
    label: 'Silero VAD as audio-vad streams (bundled silero-vad, 512-sample PCM frames, one stream per source)',
    kind: FunctionKind.AudioVad,
    model: bundled('silero-vad'),
    body: pcmFrame(512),
    contentType: 'audio/pcm',
    streams: true,
  }),
  // A receipt scanner: a 3-line text image through the ocr kind (detector → orientation → recognizer).
  ocr_receipt: async () => ({
    label: 'PP-OCR text recognition (ocr kind: bundled ppocr-det, ppocr-cls, ppocr-rec) on a 3-line 480×200 image',
    kind: FunctionKind.Ocr,
    models: { det: bundled('ppocr-det'), cls: bundled('ppocr-cls'), rec: bundled('ppocr-rec') },
    body: await receiptImage(),
    contentType: 'image/png',
  }),
  ocr_det: () => ({
    label: 'PP-OCR det (bundled ppocr-det, x [1,3,320,320])',
    model: bundled('ppocr-det'),
    inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3, 320, 320], data: wave(3 * 320 * 320, 13) }],
  }),
  ocr_rec: () => ({
    label: 'PP-OCR rec (bundled ppocr-rec, x [1,3,48,320])',
    model: bundled('ppocr-rec'),
    inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3, 48, 320], data: wave(3 * 48 * 320, 11) }],
  }),
  ocr_page: async () => ({
    label: 'PP-OCR text detection (bundled ppocr-det) on a 1920×1280 PNG page, splittable (sp)',
    kind: FunctionKind.TextDetection,
    model: bundled('ppocr-det'),
    body: await pageImage(),
    contentType: 'image/png',
  }),
  gpt: () => ({
    label: 'tiny GPT with KV cache (buildTinyGpt), 32 tokens streamed, iteration-level batching',
    kind: FunctionKind.TextGeneration,
    bytes: buildTinyGpt(),
    body: Buffer.from(JSON.stringify(GPT_PROMPT)),
    contentType: MediaType.Json,
    stream: { tpotSloMs: GPT_TPOT_SLO_MS },
  }),
};
MODELS.rec = MODELS.ocr_rec;

export const LIVE_PROFILE_NAMES = Object.keys(MODELS);

/** The real model for a workload function's profile; throws naming every supported profile otherwise. */
export async function liveModelFor(f: WorkloadFunction): Promise<LiveModel> {
  const make = MODELS[f.profileName];
  if (!make) {
    throw new Error(
      `function ${f.name}: profile "${f.profileName}" has no real model for the live replay (supported: ${LIVE_PROFILE_NAMES.join(', ')})`,
    );
  }
  return make();
}

/** The deploy spec for a workload function (tensor kind, its SLO, expected rps and hints). */
export function deploySpec(f: WorkloadFunction, m: LiveModel): Record<string, unknown> {
  const slo = m.stream ? { latencyMs: f.sloMs, tpotMs: m.stream.tpotSloMs } : { latencyMs: f.sloMs };
  const spec: Record<string, unknown> = { name: f.name, kind: m.kind ?? FunctionKind.Tensor, slo };
  if (f.expectedRps !== undefined) spec.expected = { rps: f.expectedRps };
  if (f.hints && Object.keys(f.hints).length) spec.hints = { ...f.hints };
  if (m.model) spec.model = m.model;
  if (m.models) spec.models = m.models;
  return spec;
}

export const bodyFor = (m: LiveModel): Uint8Array => m.body ?? encodeTensorsMsgpack(m.inputs ?? []);
export const contentTypeFor = (m: LiveModel): string => m.contentType ?? MediaType.Msgpack;
