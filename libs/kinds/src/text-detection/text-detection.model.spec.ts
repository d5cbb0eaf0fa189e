import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { postprocessBoxes, preprocessImage } from './index';

// Runs the real PP-OCRv4 detector. Deliberately not skipped when the model is missing: a silently
// skipped test would hide that the real path was never exercised.
const MODEL = join(process.env.EPARA_CACHE_DIR || join(homedir(), '.cache', 'epara'), 'models', 'ppocr-det.onnx');
const FIXTURE = join(__dirname, '../../../../test/fixtures/text-2-lines.png');
/** Rows and columns holding dark (< 128) pixels in the fixture, measured from the PNG. */
const INK = [
  { text: 'Hello NATS 2026', top: 29, bottom: 62, left: 44, right: 402 },
  { text: 'edge worker ok', top: 99, bottom: 140, left: 42, right: 379 },
];
const SLACK = 4;

describe('text detection with the real PP-OCRv4 model', () => {
  it('finds exactly the two text lines of text-2-lines.png', async () => {
    if (!existsSync(MODEL)) {
      throw new Error(`${MODEL} is missing: run \`npm run fetch-models\` (node scripts/fetch-models.mjs) first`);
    }
    const session = await InferenceSession.create(MODEL, { intraOpNumThreads: 1 });
    try {
      const input = await preprocessImage(readFileSync(FIXTURE));
      expect(input.tensor.shape).toEqual([1, 3, 160, 640]);
      const [, , height, width] = input.tensor.shape;
      const out = await session.run({ x: new OrtTensor('float32', input.tensor.data as Float32Array, input.tensor.shape) });
      const prob = out[session.outputNames[0]];
      expect(prob.dims).toEqual([1, 1, height, width]);

      const boxes = postprocessBoxes(prob.data as Float32Array, width, height, input);
      expect(boxes).toHaveLength(2);
      // Each box covers its line's ink (within a few pixels: DB boxes are approximate) and stays clear
      // of the other line's ink, so the y-ranges separate the lines.
      boxes.forEach((box, line) => {
        const ink = INK[line];
        const other = INK[1 - line];
        expect(box.y).toBeLessThanOrEqual(ink.top + SLACK);
        expect(box.y + box.height).toBeGreaterThanOrEqual(ink.bottom - SLACK);
        expect(box.x).toBeLessThanOrEqual(ink.left + SLACK);
        expect(box.x + box.width).toBeGreaterThanOrEqual(ink.right - SLACK);
        expect(box.y + box.height <= other.top || box.y >= other.bottom).toBe(true);
        expect(box.score).toBeGreaterThan(0.6);
      });
    } finally {
      await session.release();
    }
  });
});
