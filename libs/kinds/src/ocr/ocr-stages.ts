// Sub-path imports keep this kind free of the contracts barrel's DTOs (see text-detection/preprocess.ts).
import { EparaError } from '@epara/contracts/errors';
import type { Invocation, InvocationResult } from '@epara/contracts/inference-codec';
import type { PreparedRequest } from '@epara/contracts/prepared-request';
import type { ModelInfo, TensorSpec } from '@epara/contracts/records';
import { Datatype, type Tensor } from '@epara/contracts/tensor';
import { kindCapabilities } from '@epara/contracts/kind-capabilities';
import { FunctionKind } from '@epara/contracts/vocabulary';
import type { KindHandler } from '@epara/runtime';
import {
  decodeWithOriginal,
  type DetectionContext,
  detectorTensor,
  detectTextRegions,
  readingOrder,
  type TextBox,
} from '../text-detection';
import { type Point, type Quad, quadSize } from './geometry';
import { cropLines, LINE_HEIGHT, type LineCrops, linesTensorData, rotateLine180 } from './line-crops';
import { ctcDecode, recognitionClasses } from './recognition';

/** A region thinner than this (detector map pixels) is no line to read (PP-OCR's min_size). */
export const MIN_LINE_SIDE = 3;
/** The orientation classifier's input width (PP-OCR cls_image_shape 3,48,192). */
export const CLS_WIDTH = 192;
/** A line is turned 180° when the classifier says so with at least this probability (PP-OCR cls_thresh). */
export const CLS_THRESHOLD = 0.9;
/** The recognizer reads at least this many columns (PP-OCR rec_image_shape 3,48,320). */
export const REC_MIN_WIDTH = 320;
/** Recognizer widths are rounded up to a multiple of this, so that requests with similar lines share a batch. */
export const REC_WIDTH_STEP = 32;
/** Lines recognized with less confidence are dropped (PP-OCR drop_score). */
export const DROP_SCORE = 0.5;
/** ONNX metadata key of the recognizer's dictionary, one class per line (as RapidOCR's models carry it). */
export const DICTIONARY_METADATA_KEY = 'character';

/**
 * A PP-OCR model's signature with its batch axis stated: every input and output is N-first, but the
 * exporter names each dynamic dimension apart (p2o.DynamicDimension.0 in, .3 out), so inspection
 * cannot tell an output's batch axis, and without it requests could not share a run.
 */
export function batchFirst<S extends { inputs: TensorSpec[]; outputs: TensorSpec[]; batchable: boolean }>(signature: S): S {
  const first = (t: TensorSpec) => ({ ...t, batchAxis: 0 });
  return { ...signature, inputs: signature.inputs.map(first), outputs: signature.outputs.map(first), batchable: true };
}

/** The tensors the `ocr` stages pass along (the gateway carries them between stages as msgpack). */
export const OcrTensor = {
  Image: 'image',
  Crops: 'crops',
  Widths: 'widths',
  Quads: 'quads',
  Boxes: 'boxes',
  Angles: 'angles',
} as const;

const spec = (name: string, datatype: Datatype, shape: (number | string)[], batchAxis: number | null = 0): TensorSpec => ({
  name,
  datatype,
  shape,
  batchAxis,
});
const CROPS = spec(OcrTensor.Crops, Datatype.Uint8, ['lines', LINE_HEIGHT, 'width', 3]);
const WIDTHS = spec(OcrTensor.Widths, Datatype.Int32, ['lines']);
const QUADS = spec(OcrTensor.Quads, Datatype.Fp32, ['lines', 8]);
/** x, y, width, height in pixels (exact in FP32), then the detection score. */
const BOXES = spec(OcrTensor.Boxes, Datatype.Fp32, ['lines', 5]);
const ANGLES = spec(OcrTensor.Angles, Datatype.Int32, ['lines']);

/** What each stage unit reads and returns (StageInfo.carries): detect → orient → recognize. */
export const OCR_STAGE_CARRIES: readonly { inputs: TensorSpec[]; outputs: TensorSpec[] }[] = [
  { inputs: [spec(OcrTensor.Image, Datatype.Uint8, ['bytes'], null)], outputs: [CROPS, WIDTHS, QUADS, BOXES] },
  { inputs: [CROPS, WIDTHS], outputs: [CROPS, ANGLES] },
  { inputs: [CROPS, WIDTHS, QUADS, BOXES, ANGLES], outputs: [] },
];

/** One recognized line of the `ocr` kind's reply. */
export interface OcrLine {
  text: string;
  /** Mean probability of the recognized characters, 0..1. */
  confidence: number;
  /** The axis-aligned box, as the `text-detection` kind gives it (with its detection score). */
  box: TextBox;
  /** The line's rotated rectangle: [x, y] of top-left, top-right, bottom-right, bottom-left (original pixels). */
  quad: [number, number][];
  /** 180 when the line was upside down (turned before recognition), else 0. */
  angle: 0 | 180;
}

export interface OcrDocument {
  lines: OcrLine[];
  count: number;
}

const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'application/octet-stream'];

/** The image bytes of a request: the `image` tensor a pipeline carries, or the body itself. */
export function imageBytesOf(invocation: Invocation): Uint8Array {
  if (invocation.type === 'media') {
    if (IMAGE_TYPES.includes(invocation.mediaType)) return invocation.bytes;
    throw EparaError.badInput(
      `an ${FunctionKind.Ocr} function takes PNG, JPEG or WebP bytes (Content-Type image/png, image/jpeg or image/webp), not ${invocation.mediaType}`,
    );
  }
  const image = invocation.inputs.find((t) => t.name === OcrTensor.Image);
  if (!image || image.datatype !== Datatype.Uint8)
    throw EparaError.badInput(
      `an ${FunctionKind.Ocr} function takes PNG, JPEG or WebP bytes (Content-Type image/png, image/jpeg or image/webp), not tensors`,
    );
  return image.data as Uint8Array;
}

function tensorOf(invocation: Invocation, s: TensorSpec): Tensor {
  const t = invocation.type === 'tensors' ? invocation.inputs.find((x) => x.name === s.name) : undefined;
  if (!t || t.datatype !== s.datatype || t.shape.length !== s.shape.length)
    throw EparaError.badInput(`ocr stage input "${s.name}" is missing or not ${s.datatype} [${s.shape.join(',')}]`, { input: s.name });
  return t;
}

function cropsOf(invocation: Invocation): LineCrops {
  const crops = tensorOf(invocation, CROPS);
  const widths = tensorOf(invocation, WIDTHS).data as Int32Array;
  const [lines, height, stride] = crops.shape;
  if (height !== LINE_HEIGHT || widths.length !== lines || widths.some((w) => w < 1 || w > stride))
    throw EparaError.badInput(`ocr stage input "crops" [${crops.shape.join(',')}] does not match its ${widths.length} line widths`);
  return { data: crops.data as Uint8Array, widths, stride };
}

/** Stage 0's context: the decoded image, to crop the lines from once the detector has found them. */
interface DetectContext {
  image: { data: Buffer; width: number; height: number };
  detection: DetectionContext;
}

const flatQuads = (quads: readonly Quad[]) => Float32Array.from(quads.flatMap((q) => q.flatMap((p: Point) => [p.x, p.y])));

/** Stage 0: decodes the image, detects the text lines, crops each one upright at 48 px. */
const detectStage: KindHandler = {
  ...kindCapabilities(FunctionKind.Ocr),
  async prepare(invocation) {
    const { original, detector } = await decodeWithOriginal(imageBytesOf(invocation));
    const { rgb: _rgb, inputWidth, inputHeight, ...detection } = detector;
    const context: DetectContext = { image: original, detection };
    return { inputs: [detectorTensor(detector)], items: 1, groupKey: `${inputHeight}x${inputWidth}`, context };
  },
  finish(outputs, prepared) {
    const map = outputs[0];
    const [, , h, w] = map.shape;
    const { image, detection } = prepared.context as DetectContext;
    // Clipping to the image can flatten a region on its edge: nothing is left there to read.
    const found = detectTextRegions(map.data as Float32Array, w, h, detection, { minRectSide: MIN_LINE_SIDE }).filter((r) => {
      const size = quadSize(r.quad);
      return Math.min(size.width, size.height) >= 1;
    });
    // Reading order by each line's top-left corner, as PP-OCR's sorted_boxes: on a tilted page the
    // axis-aligned boxes of neighbouring lines overlap, their starts do not.
    const regions = readingOrder(found, ({ quad }) => ({ x: quad[0].x, y: quad[0].y, width: 0, height: quadSize(quad).height, score: 0 }));
    const crops = cropLines(
      image,
      regions.map((r) => r.quad),
    );
    const n = regions.length;
    const boxes = Float32Array.from(regions.flatMap(({ box }) => [box.x, box.y, box.width, box.height, box.score]));
    return tensorsResult([
      { name: OcrTensor.Crops, datatype: Datatype.Uint8, shape: [n, LINE_HEIGHT, crops.stride, 3], data: crops.data },
      { name: OcrTensor.Widths, datatype: Datatype.Int32, shape: [n], data: crops.widths },
      { name: OcrTensor.Quads, datatype: Datatype.Fp32, shape: [n, 8], data: flatQuads(regions.map((r) => r.quad)) },
      { name: OcrTensor.Boxes, datatype: Datatype.Fp32, shape: [n, 5], data: boxes },
    ]);
  },
  sample: (model) => sampleOf(model, [1, 3, 320, 320]),
};

const tensorsResult = (outputs: Tensor[]): InvocationResult => ({ type: 'tensors', outputs });

function sampleOf(model: ModelInfo, shape: number[]): PreparedRequest {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  return {
    inputs: [{ name: model.inputs[0].name, datatype: Datatype.Fp32, shape, data }],
    items: shape[0],
    groupKey: shape.slice(1).join('x'),
  };
}

/** A model input of all the lines, `width` columns wide. */
function linesInput(model: ModelInfo, crops: LineCrops, width: number, fit: (w: number) => number): Tensor {
  const lines = crops.widths.length;
  return {
    name: model.inputs[0].name,
    datatype: Datatype.Fp32,
    shape: [lines, 3, LINE_HEIGHT, width],
    data: linesTensorData(crops, width, fit),
  };
}

/** Stage 1: the orientation classifier on every line at once; upside-down lines are turned. */
const orientStage: KindHandler = {
  ...kindCapabilities(FunctionKind.Ocr),
  async prepare(invocation, model) {
    const crops = cropsOf(invocation);
    // Lines wider than the classifier's input are squeezed into it, narrower ones padded (PP-OCR's resize_norm_img).
    const input = linesInput(model, crops, CLS_WIDTH, (w) => Math.min(CLS_WIDTH, w));
    return { inputs: [input], items: crops.widths.length, groupKey: `${LINE_HEIGHT}x${CLS_WIDTH}`, context: crops };
  },
  finish(outputs, prepared) {
    const crops = prepared.context as LineCrops;
    const n = crops.widths.length;
    const angles = new Int32Array(n);
    const probs = outputs[0]?.data as Float32Array | undefined;
    for (let i = 0; i < n; i++) {
      // Classes: 0 = upright, 1 = turned 180°.
      if (probs![i * 2 + 1] > probs![i * 2] && probs![i * 2 + 1] >= CLS_THRESHOLD) {
        rotateLine180(crops, i);
        angles[i] = 180;
      }
    }
    return tensorsResult([
      { name: OcrTensor.Crops, datatype: Datatype.Uint8, shape: [n, LINE_HEIGHT, crops.stride, 3], data: crops.data },
      { name: OcrTensor.Angles, datatype: Datatype.Int32, shape: [n], data: angles },
    ]);
  },
  sample: (model) => sampleOf(model, [1, 3, LINE_HEIGHT, CLS_WIDTH]),
};

/** The recognizer's input width for lines of these widths: the widest, at least 320, rounded up to 32. */
export function recognizerWidth(widths: ArrayLike<number>): number {
  const widest = Math.max(REC_MIN_WIDTH, ...Array.from(widths));
  return Math.ceil(widest / REC_WIDTH_STEP) * REC_WIDTH_STEP;
}

interface RecognizeContext {
  lines: number;
  quads: Float32Array;
  boxes: Float32Array;
  angles: Int32Array;
}

/** Stage 2: the recognizer on every line at once (padded to one width), CTC-decoded into the reply. */
function recognizeStage(classes: readonly string[]): KindHandler {
  return {
    ...kindCapabilities(FunctionKind.Ocr),
    async prepare(invocation, model) {
      const crops = cropsOf(invocation);
      const lines = crops.widths.length;
      const width = recognizerWidth(crops.widths);
      const context: RecognizeContext = {
        lines,
        quads: tensorOf(invocation, QUADS).data as Float32Array,
        boxes: tensorOf(invocation, BOXES).data as Float32Array,
        angles: tensorOf(invocation, ANGLES).data as Int32Array,
      };
      if (context.quads.length !== lines * 8 || context.boxes.length !== lines * 5 || context.angles.length !== lines)
        throw EparaError.badInput(`ocr stage inputs "quads", "boxes" and "angles" do not describe the ${lines} lines of "crops"`);
      // Each line at its own width (already 48 px high), zeros after it.
      const input = linesInput(model, crops, width, (w) => w);
      return { inputs: [input], items: lines, groupKey: `${LINE_HEIGHT}x${width}`, context };
    },
    finish(outputs, prepared) {
      const ctx = prepared.context as RecognizeContext;
      const lines: OcrLine[] = [];
      const probs = outputs[0];
      const steps = probs?.shape[1] ?? 0;
      for (let i = 0; i < ctx.lines; i++) {
        const row = (probs!.data as Float32Array).subarray(i * steps * classes.length, (i + 1) * steps * classes.length);
        const { text, confidence } = ctcDecode(row, steps, classes);
        if (!text.trim() || confidence < DROP_SCORE) continue;
        const b = ctx.boxes.subarray(i * 5, i * 5 + 5);
        const q = ctx.quads.subarray(i * 8, i * 8 + 8);
        lines.push({
          text,
          confidence,
          box: { x: b[0], y: b[1], width: b[2], height: b[3], score: b[4] },
          quad: [0, 1, 2, 3].map((k) => [round2(q[2 * k]), round2(q[2 * k + 1])] as [number, number]),
          angle: ctx.angles[i] === 180 ? 180 : 0,
        });
      }
      const body: OcrDocument = { lines, count: lines.length };
      return { type: 'document', body };
    },
    sample: (model) => sampleOf(model, [1, 3, LINE_HEIGHT, REC_MIN_WIDTH]),
  };
}

const round2 = (v: number) => Math.round(v * 100) / 100;

/**
 * The kind processing of one `ocr` stage around its model: 0 detects and crops, 1 orients, 2
 * recognizes (with the dictionary its model carries in its metadata, `character`).
 */
export function ocrStageHandler(stage: number, metadata: () => Record<string, string>): KindHandler {
  if (stage === 0) return detectStage;
  if (stage === 1) return orientStage;
  if (stage === 2) {
    const dictionary = metadata()[DICTIONARY_METADATA_KEY];
    if (!dictionary)
      throw new EparaError(
        500,
        `the ocr recognizer model carries no dictionary (ONNX metadata "${DICTIONARY_METADATA_KEY}"); redeploy the function`,
      );
    return recognizeStage(recognitionClasses(dictionary));
  }
  throw new EparaError(500, `an ocr function has stages 0, 1 and 2, not ${stage}`);
}

/** A detector request for profiling: what the `ocr` function's own handler answers `sample` with. */
export const ocrDetectSample: KindHandler['sample'] = (model) => detectStage.sample(model);
