import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { iou } from '@epara/policy';
import { startCluster, TestCluster, waitFor } from './support/cluster';
import { http, postJson } from './support/http';

/** A large page: 1920×1280 (the detector scales it by exactly 1/2, to 960×640). */
let PAGE: Buffer;

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The `sp` mode: one large image cut into bands that run on two devices at once, boxes merged. */
describe('split requests (sp) for text detection over two workers', () => {
  let c: TestCluster;

  beforeAll(async () => {
    c = await startCluster({ workers: 2 });
    PAGE = await sharp(readFileSync(`${__dirname}/fixtures/text-page.png`))
      .resize(1920, 1280, { fit: 'fill' })
      .png()
      .toBuffer();
  });
  afterAll(async () => {
    await c?.stop();
  });

  const detect = (fn: string) =>
    http(`${c.gatewayUrl}/v1/functions/${fn}/invoke`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: PAGE });

  it('finds the same boxes as the whole-image run (IoU ≥ 0.9 each), with the tiles on both devices', async () => {
    expect(
      (
        await postJson(`${c.gatewayUrl}/v1/functions`, {
          name: 'ocr-whole',
          kind: 'text-detection',
          slo: { latencyMs: 10000 },
          model: { bundled: 'ppocr-det' },
        })
      ).status,
    ).toBe(201);
    const sp = await postJson(`${c.gatewayUrl}/v1/functions`, {
      name: 'ocr-split',
      kind: 'text-detection',
      slo: { latencyMs: 10000 },
      hints: { mode: 'sp' },
      model: { bundled: 'ppocr-det' },
    });
    expect(sp.status).toBe(201);
    expect(sp.json().category.mode).toBe('sp');
    await waitFor(async () => (await http(`${c.gatewayUrl}/v2/models/ocr-whole/ready`)).status === 200, 30_000, 'ocr-whole ready');
    await waitFor(
      async () => {
        const devices = (await http(`${c.gatewayUrl}/v1/devices`)).json().devices as { functions: { fn: string }[] }[];
        return devices.filter((d) => d.functions.some((f) => f.fn === 'ocr-split')).length === 2;
      },
      30_000,
      'ocr-split on both devices',
    );

    const whole = await detect('ocr-whole');
    expect(whole.status).toBe(200);
    const split = await detect('ocr-split');
    expect(split.status).toBe(200);
    expect(split.headers.get('epara-mode')).toBe('sp');
    expect(split.headers.get('epara-device')!.split(',').sort()).toEqual(['cpu-0', 'cpu-1']);
    const wholeBoxes: Box[] = whole.json().boxes;
    const splitBoxes: Box[] = split.json().boxes;
    expect(split.json().tiles).toBe(2);
    expect(wholeBoxes.length).toBeGreaterThanOrEqual(6);
    expect(splitBoxes.length).toBe(wholeBoxes.length);
    for (const w of wholeBoxes) {
      const best = Math.max(...splitBoxes.map((s) => iou(w, s)));
      expect(best).toBeGreaterThanOrEqual(0.9);
    }
  });

  it('answers bad image bytes with 400 and keeps serving', async () => {
    const bad = await http(`${c.gatewayUrl}/v1/functions/ocr-split/invoke`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: Buffer.from('nope'),
    });
    expect(bad.status).toBe(400);
    expect((await detect('ocr-split')).status).toBe(200);
  });
});
