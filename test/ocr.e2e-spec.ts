import { execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { Header } from '@epara/contracts';
import { run as cli } from '../apps/cli/src/main';
import { startCluster, TestCluster, waitFor } from './support/cluster';
import { hasMosquitto } from './support/mosquitto';
import { http, postJson } from './support/http';
import { characterAccuracy, renderTextImage } from './support/text-images';

/** Character accuracy (1 − CER) each image must reach; the measured figures are in docs/benchmarks.md. */
const MIN_ACCURACY = 0.95;
const FIXTURES = join(__dirname, 'fixtures');
const OCR_SPEC = {
  name: 'ocr',
  kind: 'ocr',
  slo: { latencyMs: 20_000 },
  models: { det: { bundled: 'ppocr-det' }, cls: { bundled: 'ppocr-cls' }, rec: { bundled: 'ppocr-rec' } },
};
const LINES = [
  { text: 'Invoice 4711 due 2026', x: 40, baseline: 70, fontSize: 40 },
  { text: 'Deliver to dock 3 by noon', x: 40, baseline: 150, fontSize: 36 },
  { text: 'Total 98.50 EUR paid', x: 40, baseline: 230, fontSize: 40 },
];

interface OcrReply {
  lines: {
    text: string;
    confidence: number;
    box: { x: number; y: number; width: number; height: number; score: number };
    quad: number[][];
    angle: number;
  }[];
  count: number;
}

/**
 * The `ocr` kind on the real platform: three stage units (detector, orientation classifier,
 * recognizer) placed by the scheduler on two workers, each batching on its own; the gateway chains
 * them under the request's one deadline. Images in over HTTP, NATS and MQTT; text lines out.
 */
describe('ocr: PP-OCR detection → orientation → recognition as a three-stage pipeline', () => {
  let c: TestCluster;

  const ocr = (image: Buffer, contentType = 'image/png') =>
    http(`${c.gatewayUrl}/v1/functions/ocr/invoke`, { method: 'POST', headers: { 'content-type': contentType }, body: image });

  beforeAll(async () => {
    c = await startCluster({ workers: 2, security: { mqtt: true } });
    const r = await postJson(`${c.gatewayUrl}/v1/functions`, OCR_SPEC);
    expect(r.status).toBe(201);
    const two = readFileSync(join(FIXTURES, 'text-2-lines.png'));
    await waitFor(async () => (await ocr(two)).status === 200, 60_000, 'ocr answers');
  }, 90_000);
  afterAll(async () => {
    await c?.stop();
  });

  it('is deployed as three stages, one per model, pinned to pp, and placed as units <fn>#<stage>', async () => {
    const rec = (await http(`${c.gatewayUrl}/v1/functions/ocr`)).json();
    expect(rec.category.mode).toBe('pp');
    expect(rec.model.stages.map((s: { index: number }) => s.index)).toEqual([0, 1, 2]);
    expect(rec.model.stages.map((s: { carries: { inputs: { name: string }[] } }) => s.carries.inputs.map((i) => i.name))).toEqual([
      ['image'],
      ['crops', 'widths'],
      ['crops', 'widths', 'quads', 'boxes', 'angles'],
    ]);
    expect(rec.model.source).toBe('det bundled:ppocr-det, cls bundled:ppocr-cls, rec bundled:ppocr-rec');
    const placement = (await http(`${c.gatewayUrl}/v1/placement`)).json().placement as { assignments: { fn: string; stage?: number }[] }[];
    const stages = new Set(placement.flatMap((d) => d.assignments.filter((a) => a.fn === 'ocr').map((a) => a.stage)));
    expect([...stages].sort()).toEqual([0, 1, 2]);
  });

  it('reads the text fixtures, each line with its text, confidence, rotated quad and axis-aligned box', async () => {
    const { fixtures } = JSON.parse(readFileSync(join(FIXTURES, 'text-fixtures.json'), 'utf8')) as {
      fixtures: { file: string; lines: { text: string; x: number; baseline: number; fontSize: number }[] }[];
    };
    for (const f of fixtures) {
      const r = await ocr(readFileSync(join(FIXTURES, f.file)));
      expect(r.status).toBe(200);
      expect(r.headers.get('epara-mode')).toBe('pp');
      expect(r.headers.get('epara-device')!.split(',')).toHaveLength(3);
      const doc = r.json<OcrReply>();
      expect(doc.count).toBe(doc.lines.length);
      expect(
        characterAccuracy(
          f.lines.map((l) => l.text),
          doc.lines.map((l) => l.text),
        ),
      ).toBeGreaterThanOrEqual(MIN_ACCURACY);
      for (const [i, line] of doc.lines.entries()) {
        expect(line.confidence).toBeGreaterThan(0.5);
        expect(line.angle).toBe(0);
        expect(line.quad).toHaveLength(4);
        // The box holds the line's baseline, left edge at the text's x.
        const expected = f.lines[i];
        expect(line.box.y).toBeLessThan(expected.baseline);
        expect(line.box.y + line.box.height).toBeGreaterThan(expected.baseline);
        expect(Math.abs(line.box.x - expected.x)).toBeLessThan(expected.fontSize / 2);
        expect(line.quad[0][1]).toBeLessThan(expected.baseline);
        expect(line.quad[2][1]).toBeGreaterThan(expected.baseline - expected.fontSize / 2);
      }
    }
  });

  it('reads lines turned by a few degrees and an upside-down page (angle 180)', async () => {
    for (const deg of [3, -4]) {
      const doc = (await ocr(await renderTextImage(720, 300, LINES, deg))).json<OcrReply>();
      expect(
        characterAccuracy(
          LINES.map((l) => l.text),
          doc.lines.map((l) => l.text),
        ),
      ).toBeGreaterThanOrEqual(MIN_ACCURACY);
      // The quad follows the tilt: its top edge rises (or falls) with the text.
      const [tl, tr] = doc.lines[0].quad;
      expect(Math.sign(tr[1] - tl[1])).toBe(Math.sign(deg));
    }
    const upsideDown = (await ocr(await renderTextImage(720, 300, LINES, 180))).json<OcrReply>();
    expect(
      characterAccuracy(
        LINES.map((l) => l.text).reverse(),
        upsideDown.lines.map((l) => l.text),
      ),
    ).toBeGreaterThanOrEqual(MIN_ACCURACY);
    expect(upsideDown.lines.map((l) => l.angle)).toEqual([180, 180, 180]);
  });

  it('answers 200 with no lines for an image without text', async () => {
    const r = await ocr(await renderTextImage(400, 240, []));
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({ lines: [], count: 0 });
  });

  it('answers 400 naming the problem for a corrupt image and for a body that is no image', async () => {
    const png = readFileSync(join(FIXTURES, 'text-2-lines.png'));
    const corrupt = await ocr(Buffer.concat([png.subarray(0, 40), Buffer.alloc(200, 7)]));
    expect(corrupt.status).toBe(400);
    expect(corrupt.json().error.message).toMatch(/not a PNG, JPEG or WebP image that can be decoded/);
    const json = await postJson(`${c.gatewayUrl}/v1/functions/ocr/invoke`, {
      inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [1] }],
    });
    expect(json.status).toBe(400);
    expect(json.json().error.message).toMatch(/takes PNG, JPEG or WebP bytes/);
  });

  it('answers a NATS request with the image as its body', async () => {
    const h = natsHeaders();
    h.set(Header.ContentType, 'image/png');
    const reply = await c.client.request('epara.v1.invoke.ocr', readFileSync(join(FIXTURES, 'text-2-lines.png')), {
      timeout: 20_000,
      headers: h,
    });
    expect(reply.headers?.get(Header.ServiceErrorCode) ?? '').toBe('');
    expect(reply.json<OcrReply>().lines.map((l) => l.text)).toEqual(['Hello NATS 2026', 'edge worker ok']);
  });

  it('answers the epara CLI invoking with a PNG file over NATS (the README example)', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await cli(['invoke', 'ocr', '--data', join(FIXTURES, 'text-2-lines.png'), '--over', 'nats'], {
      out: (line) => out.push(line),
      err: (line) => err.push(line),
      env: { NATS_URL: c.nats.url },
    });
    expect(code).toBe(0);
    // The serving headers go to stderr, the reply to stdout.
    expect(err.join('\n')).toContain('Epara-Mode: pp');
    expect(out.join('\n')).toContain('Hello NATS 2026');
  });

  it('epara models ls counts each of the three stored models as used by the ocr function', async () => {
    const out: string[] = [];
    const code = await cli(['models', 'ls'], { out: (line) => out.push(line), err: () => undefined, env: { NATS_URL: c.nats.url } });
    expect(code).toBe(0);
    const rows = out.join('\n').split('\n');
    const stages = (await http(`${c.gatewayUrl}/v1/functions/ocr`)).json().model.stages as { sha256: string }[];
    for (const { sha256 } of stages) expect(rows.find((row) => row.includes(sha256.slice(0, 12)))).toMatch(/\bocr\b/);
  });

  it('serves concurrent requests through the stages, each answered with its own lines', async () => {
    const page = readFileSync(join(FIXTURES, 'text-page.png'));
    const two = readFileSync(join(FIXTURES, 'text-2-lines.png'));
    const replies = await Promise.all([page, two, page, two, two].map((img) => ocr(img)));
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    const counts = replies.map((r) => r.json<OcrReply>().count);
    expect(counts).toEqual([6, 2, 6, 2, 2]);
  });

  (hasMosquitto ? it : it.skip)('answers a camera that publishes PNG bytes over MQTT (mosquitto_pub -f)', async () => {
    const file = join(tmpdir(), `epara-ocr-${process.pid}.png`);
    writeFileSync(file, readFileSync(join(FIXTURES, 'text-2-lines.png')));
    const port = String(c.nats.mqttPort);
    const sub = spawn('mosquitto_sub', [
      '-h',
      '127.0.0.1',
      '-p',
      port,
      '-i',
      'cam-ocr-sub',
      '-q',
      '1',
      '-t',
      'epara/v1/reply/cam-ocr/#',
      '-C',
      '1',
      '-W',
      '30',
    ]);
    let out = '';
    sub.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const closed = new Promise<number | null>((resolve) => sub.once('close', resolve));
    await new Promise((r) => setTimeout(r, 400)); // subscribed before the request goes
    await promisify(execFile)('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      port,
      '-i',
      'cam-ocr-pub',
      '-q',
      '1',
      '-t',
      'epara/v1/mqtt/ocr/cam-ocr',
      '-f',
      file,
    ]);
    expect(await closed).toBe(0);
    expect((JSON.parse(out) as OcrReply).lines.map((l) => l.text)).toEqual(['Hello NATS 2026', 'edge worker ok']);
  });

  it('refuses an ocr spec without its three models, or with a model that cannot play its role, and a patch to another mode', async () => {
    const missing = await postJson(`${c.gatewayUrl}/v1/functions`, {
      ...OCR_SPEC,
      name: 'ocr-bad',
      models: undefined,
      model: { bundled: 'ppocr-det' },
    });
    expect(missing.status).toBe(400);
    expect(missing.json().error.message).toMatch(/needs spec.models/);
    const swapped = await postJson(`${c.gatewayUrl}/v1/functions`, {
      ...OCR_SPEC,
      name: 'ocr-bad',
      models: { ...OCR_SPEC.models, cls: { bundled: 'ppocr-det' } },
    });
    expect(swapped.status).toBe(400);
    expect(swapped.json().error.message).toMatch(/models.cls must be a PP-OCR line orientation classifier/);
    const noRec = await postJson(`${c.gatewayUrl}/v1/functions`, {
      ...OCR_SPEC,
      name: 'ocr-bad',
      models: { det: { bundled: 'ppocr-det' } },
    });
    expect(noRec.status).toBe(400);
    expect(noRec.json().error.message).toMatch(/models.cls is required/);
    const patch = await http(`${c.gatewayUrl}/v1/functions/ocr`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hints: { mode: 'dp' } }),
    });
    expect(patch.status).toBe(400);
    expect(patch.json().error.message).toMatch(/its mode stays pp, not dp/);
  });
});
