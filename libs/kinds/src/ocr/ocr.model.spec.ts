import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Invocation, InvocationResult, Tensor } from '@epara/contracts';
import { createSession, inspectModel, LoadedModel, type KindHandler, withModelMetadata } from '@epara/runtime';
import { batchFirst, DICTIONARY_METADATA_KEY, ocrStageHandler, type OcrDocument } from './ocr-stages';
import { characterAccuracy, renderTextImage } from '../../../../test/support/text-images';

// The real PP-OCR models, chained in-process through the kind's three stage handlers (what the three
// stage units do on their workers). Not skipped when a model is missing: run `npm run fetch-models`.
const MODELS = join(process.env.EPARA_CACHE_DIR || join(homedir(), '.cache', 'epara'), 'models');
/** Character accuracy (1 − CER) every image must reach; measured: 1.0 on each (docs/benchmarks.md). */
const MIN_ACCURACY = 0.95;
const FIXTURES = join(__dirname, '../../../../test/fixtures');

async function stage(index: number, file: string, props: Record<string, string> = {}): Promise<LoadedModel> {
  const path = join(MODELS, file);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run fetch-models\` first`);
  const bytes = withModelMetadata(readFileSync(path), props);
  const info = { sha256: '', sizeBytes: bytes.byteLength, format: 'onnx' as const, ...batchFirst(await inspectModel(bytes)), source: file };
  const created = await createSession(bytes, { provider: 'cpu', intraOpNumThreads: 1 });
  return new LoadedModel(
    info,
    ocrStageHandler(index, () => props),
    created,
  );
}

describe('ocr stages with the real PP-OCR models', () => {
  let stages: LoadedModel[];

  beforeAll(async () => {
    const dictionary = readFileSync(join(MODELS, 'ppocr_keys_v1.txt'), 'utf8');
    stages = [
      await stage(0, 'ppocr-det.onnx'),
      await stage(1, 'ppocr-cls.onnx'),
      await stage(2, 'ppocr-rec.onnx', { [DICTIONARY_METADATA_KEY]: dictionary }),
    ];
  });
  afterAll(async () => Promise.all(stages.map((s) => s.release())));

  async function ocr(png: Uint8Array): Promise<OcrDocument> {
    let invocation: Invocation = { type: 'media', mediaType: 'image/png', bytes: png };
    let result: InvocationResult | undefined;
    for (const s of stages) {
      const kind: KindHandler = s.kind;
      const prepared = await kind.prepare(invocation, s.info);
      const [outputs] = await s.run([prepared]);
      result = await kind.finish(outputs, prepared);
      if (result.type === 'tensors')
        invocation = { type: 'tensors', inputs: [...(invocation.type === 'tensors' ? invocation.inputs : []), ...result.outputs] };
    }
    return (result as { body: OcrDocument }).body;
  }

  const LINES = [
    { text: 'Invoice 4711 due 2026', x: 40, baseline: 70, fontSize: 40 },
    { text: 'Deliver to dock 3 by noon', x: 40, baseline: 150, fontSize: 36 },
    { text: 'Total 98.50 EUR paid', x: 40, baseline: 230, fontSize: 40 },
  ];

  it.each([0, 4, -5, 8, -8])('reads three lines turned by %d°, upright', async (deg) => {
    const doc = await ocr(await renderTextImage(720, 300, LINES, deg));
    expect(
      characterAccuracy(
        LINES.map((l) => l.text),
        doc.lines.map((l) => l.text),
      ),
    ).toBeGreaterThanOrEqual(MIN_ACCURACY);
    expect(doc.lines.map((l) => l.angle)).toEqual([0, 0, 0]);
  });

  it('reads an upside-down page: every line turned back (angle 180), the last line on top', async () => {
    const doc = await ocr(await renderTextImage(720, 300, LINES, 180));
    const expected = LINES.map((l) => l.text).reverse();
    expect(
      characterAccuracy(
        expected,
        doc.lines.map((l) => l.text),
      ),
    ).toBeGreaterThanOrEqual(MIN_ACCURACY);
    expect(doc.lines.map((l) => l.angle)).toEqual([180, 180, 180]);
  });

  it('answers no lines for an image without text', async () => {
    const doc = await ocr(await renderTextImage(320, 200, []));
    expect(doc).toEqual({ lines: [], count: 0 });
  });

  it('batches lines of several requests in one classifier and one recognizer run, each request getting its own lines back', async () => {
    const images = [
      await renderTextImage(720, 300, LINES),
      await renderTextImage(400, 240, []),
      await renderTextImage(720, 300, LINES.slice(0, 2), 180),
    ];
    const alone = await Promise.all(images.map((png) => ocr(png)));
    // Stage 0 per image, then stages 1 and 2 as the worker's batcher runs them: the requests of one group key together.
    let invocations: Invocation[] = images.map((bytes) => ({ type: 'media', mediaType: 'image/png', bytes }));
    let documents: InvocationResult[] = [];
    const largestBatch: number[] = [];
    for (const s of stages) {
      const prepared = await Promise.all(invocations.map((inv) => s.kind.prepare(inv, s.info)));
      const groups = new Map<string, number[]>();
      prepared.forEach((p, r) => groups.set(p.groupKey, [...(groups.get(p.groupKey) ?? []), r]));
      largestBatch.push(Math.max(...[...groups.values()].map((g) => g.length)));
      const outputs: Tensor[][] = [];
      for (const members of groups.values()) {
        const run = await s.run(members.map((r) => prepared[r]));
        members.forEach((r, k) => (outputs[r] = run[k]));
      }
      documents = await Promise.all(prepared.map((p, r) => s.kind.finish(outputs[r], p)));
      invocations = documents.map((d, r) => ({
        type: 'tensors',
        inputs: [...(invocations[r].type === 'tensors' ? invocations[r].inputs : []), ...(d.type === 'tensors' ? d.outputs : [])],
      }));
    }
    // The classifier takes every request at once; the recognizer the two whose lines pad to the same width.
    expect(largestBatch.slice(1)).toEqual([3, 2]);
    expect(documents.map((d) => (d as { body: OcrDocument }).body.lines.map((l) => l.text))).toEqual(
      alone.map((d) => d.lines.map((l) => l.text)),
    );
    expect(alone.map((d) => d.count)).toEqual([3, 0, 2]);
  });

  it('reads the text fixtures', async () => {
    const { fixtures } = JSON.parse(readFileSync(join(FIXTURES, 'text-fixtures.json'), 'utf8')) as {
      fixtures: { file: string; lines: { text: string }[] }[];
    };
    for (const f of fixtures) {
      const doc = await ocr(readFileSync(join(FIXTURES, f.file)));
      const acc = characterAccuracy(
        f.lines.map((l) => l.text),
        doc.lines.map((l) => l.text),
      );
      expect(acc).toBeGreaterThanOrEqual(MIN_ACCURACY);
    }
  });
});
