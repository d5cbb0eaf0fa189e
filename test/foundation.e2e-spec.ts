import { headers as natsHeaders } from '@nats-io/transport-node';
import * as ort from 'onnxruntime-node';
import { decodeResultTensors, encodeTensorsMsgpack } from '@epara/contracts';
import { askMicroServices } from '@epara/nats';
import { buildAdd, buildHalfAdd, buildMlp } from '@epara/runtime';
import { startCluster, TestCluster, waitFor } from './support/cluster';
import { deployMultipart, http, postJson } from './support/http';

const FIXTURE_PNG = `${__dirname}/fixtures/text-2-lines.png`;

const addBody = (a: number[], b: number[]) => ({
  inputs: [
    { name: 'a', shape: [1, 4], datatype: 'FP32', data: a },
    { name: 'b', shape: [1, 4], datatype: 'FP32', data: b },
  ],
});

describe('foundation: deploy → invoke over HTTP and NATS → delete, against real apps', () => {
  let c: TestCluster;

  beforeAll(async () => {
    c = await startCluster({ workers: 2 });
  });
  afterAll(async () => {
    await c?.stop();
  });

  const ready = (name: string) =>
    waitFor(async () => (await http(`${c.gatewayUrl}/v2/models/${name}/ready`)).status === 200, 30_000, `${name} ready`);

  /** Proves the apps still serve after a bad request. */
  const stillServes = async () => {
    const r = await postJson(`${c.gatewayUrl}/v1/functions/add/invoke`, addBody([1, 2, 3, 4], [1, 1, 1, 1]));
    expect(r.status).toBe(200);
    expect(r.json().outputs[0].data).toEqual([2, 3, 4, 5]);
  };

  it('deploys a model as multipart and records its signature, category, mode and reason', async () => {
    const r = await deployMultipart(c.gatewayUrl, { name: 'add', kind: 'tensor', slo: { latencyMs: 2000 } }, buildAdd());
    expect(r.status).toBe(201);
    const rec = r.json();
    expect(rec.model.inputs.map((i: { name: string }) => i.name)).toEqual(['a', 'b']);
    expect(rec.model.inputs[0]).toMatchObject({ datatype: 'FP32', shape: ['batch', 4], batchAxis: 0 });
    expect(rec.model.sha256).toMatch(/^[a-f0-9]{64}$/);
    expect(rec.category).toMatchObject({ sensitivity: 'latency', footprint: 'single', mode: 'dp' });
    expect(rec.category.reason).toEqual(expect.any(String));
    expect((await http(`${c.gatewayUrl}/v1/functions/add`)).json().name).toBe('add');
    await ready('add');
  });

  it('takes the spec as a file part too (curl -F spec=@spec.json), not only as a text field', async () => {
    const form = new FormData();
    form.set('spec', new Blob([JSON.stringify({ name: 'add-file-spec', kind: 'tensor', slo: { latencyMs: 2000 } })]), 'spec.json');
    form.set('model', new Blob([buildAdd()]), 'model.onnx');
    const r = await http(`${c.gatewayUrl}/v1/functions`, { method: 'POST', body: form });
    expect(r.status).toBe(201);
    expect(r.json().name).toBe('add-file-spec');
    expect((await http(`${c.gatewayUrl}/v1/functions/add-file-spec`, { method: 'DELETE' })).status).toBe(204);
  });

  it('invokes over HTTP with exact results and serving headers', async () => {
    const r = await postJson(`${c.gatewayUrl}/v1/functions/add/invoke`, addBody([1, 2, 3, 4], [0.5, 0.25, -1, 10]));
    expect(r.status).toBe(200);
    const body = r.json();
    expect(body.model_name).toBe('add');
    expect(body.outputs.find((o: { name: string }) => o.name === 'sum').data).toEqual([1.5, 2.25, 2, 14]);
    expect(body.outputs.find((o: { name: string }) => o.name === 'prod').data).toEqual([0.5, 0.5, -3, 40]);
    expect(r.headers.get('epara-device')).toMatch(/^cpu-[01]$/);
    expect(Number(r.headers.get('epara-batch-size'))).toBeGreaterThanOrEqual(1);
    expect(Number(r.headers.get('epara-queue-ms'))).toBeGreaterThanOrEqual(0);
    expect(Number(r.headers.get('epara-exec-ms'))).toBeGreaterThan(0);
  });

  it('invokes over HTTP with msgpack (raw typed-array bytes) and returns msgpack', async () => {
    const body = encodeTensorsMsgpack([
      { name: 'a', datatype: 'FP32', shape: [2, 4], data: new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]) },
      { name: 'b', datatype: 'FP32', shape: [2, 4], data: new Float32Array(8).fill(2) },
    ]);
    const r = await http(`${c.gatewayUrl}/v1/functions/add/invoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/msgpack', accept: 'application/msgpack' },
      body,
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('application/msgpack');
    const [sum, prod] = decodeResultTensors(r.body, 'application/msgpack');
    expect(sum.shape).toEqual([2, 4]);
    expect(Array.from(sum.data as Float32Array)).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    expect(Array.from(prod.data as Float32Array)).toEqual([2, 4, 6, 8, 10, 12, 14, 16]);
  });

  it('returns exactly what onnxruntime computes for the MLP (HTTP and NATS)', async () => {
    const model = buildMlp();
    expect((await deployMultipart(c.gatewayUrl, { name: 'mlp', kind: 'tensor', slo: { latencyMs: 2000 } }, model)).status).toBe(201);
    await ready('mlp');
    const x = Float32Array.from({ length: 256 }, (_, i) => Math.sin(i));
    const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1 });
    const direct = (await session.run({ x: new ort.Tensor('float32', x, [1, 256]) })).logits.data as Float32Array;
    await session.release();
    const viaHttp = await postJson(`${c.gatewayUrl}/v1/functions/mlp/invoke`, {
      inputs: [{ name: 'x', shape: [1, 256], datatype: 'FP32', data: Array.from(x) }],
    });
    expect(viaHttp.json().outputs[0].data).toEqual(Array.from(direct));
    const reply = await c.client.request(
      'epara.v1.invoke.mlp',
      encodeTensorsMsgpack([{ name: 'x', datatype: 'FP32', shape: [1, 256], data: x }]),
      {
        timeout: 5000,
        headers: (() => {
          const h = natsHeaders();
          h.set('Content-Type', 'application/msgpack');
          return h;
        })(),
      },
    );
    expect(reply.headers?.get('Nats-Service-Error-Code') ?? '').toBe('');
    const [logits] = decodeResultTensors(reply.data, reply.headers?.get('Content-Type'));
    expect(Array.from(logits.data as Float32Array)).toEqual(Array.from(direct));
  });

  it('invokes over NATS with JSON on epara.v1.invoke.<fn>, with serving headers', async () => {
    const reply = await c.client.request('epara.v1.invoke.add', Buffer.from(JSON.stringify(addBody([1, 1, 1, 1], [2, 2, 2, 2]))), {
      timeout: 5000,
    });
    const body = JSON.parse(Buffer.from(reply.data).toString());
    expect(body.outputs.find((o: { name: string }) => o.name === 'sum').data).toEqual([3, 3, 3, 3]);
    expect(reply.headers?.get('Epara-Device')).toMatch(/^cpu-[01]$/);
    expect(reply.headers?.get('Epara-Batch-Size')).toBeTruthy();
    expect(reply.headers?.get('Epara-Exec-Ms')).toBeTruthy();
  });

  it('serves the real PP-OCRv4 detector: PNG bytes in, text boxes out', async () => {
    const r = await postJson(`${c.gatewayUrl}/v1/functions`, {
      name: 'ocr-det',
      kind: 'text-detection',
      slo: { latencyMs: 2000 },
      model: { bundled: 'ppocr-det' },
    });
    expect(r.status).toBe(201);
    await ready('ocr-det');
    const { readFileSync } = await import('node:fs');
    const png = readFileSync(FIXTURE_PNG);
    const res = await http(`${c.gatewayUrl}/v1/functions/ocr-det/invoke`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: png,
    });
    expect(res.status).toBe(200);
    const doc = res.json();
    expect(doc.count).toBe(2);
    expect(doc.boxes[0].y).toBeLessThan(doc.boxes[1].y);
    // Not an image: 400 from the kind, the function keeps serving.
    const bad = await http(`${c.gatewayUrl}/v1/functions/ocr-det/invoke`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: Buffer.from('not a png at all'),
    });
    expect(bad.status).toBe(400);
    expect(bad.json().error.message).toMatch(/PNG, JPEG or WebP/);
    expect(
      (
        await http(`${c.gatewayUrl}/v1/functions/ocr-det/invoke`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: png })
      ).json().count,
    ).toBe(2);
  });

  describe('bad input gets a clear error with the right code, and nothing else breaks', () => {
    it('malformed spec → 400 naming the field', async () => {
      const r = await deployMultipart(c.gatewayUrl, { name: 'x', kind: 'tensor', slo: { latencyMs: 'fast' } }, buildAdd());
      expect(r.status).toBe(400);
      expect(r.json().error).toMatchObject({ code: 400 });
      expect(r.json().error.message).toMatch(/slo\.latencyMs/);
      const notJson = await deployMultipart(c.gatewayUrl, '{"name":', buildAdd());
      expect(notJson.status).toBe(400);
      expect(notJson.json().error.message).toMatch(/spec is not valid JSON/);
      await stillServes();
    });

    it('a file that is not ONNX → 400', async () => {
      const r = await deployMultipart(
        c.gatewayUrl,
        { name: 'junk', kind: 'tensor', slo: { latencyMs: 100 } },
        Buffer.from('this is not a model'),
      );
      expect(r.status).toBe(400);
      expect(r.json().error.message).toMatch(/not a valid ONNX model/);
      expect((await http(`${c.gatewayUrl}/v1/functions/junk`)).status).toBe(404);
      await stillServes();
    });

    it('wrong tensor shape or dtype → 400 naming the input and the expected shape', async () => {
      const shape = await postJson(`${c.gatewayUrl}/v1/functions/add/invoke`, {
        inputs: [
          { name: 'a', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] },
          { name: 'b', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] },
        ],
      });
      expect(shape.status).toBe(400);
      expect(shape.json().error.message).toMatch(/input "a": shape \[1,3\] does not match the model's \[batch,4\]/);
      const dtype = await postJson(`${c.gatewayUrl}/v1/functions/add/invoke`, {
        inputs: [
          { name: 'a', shape: [1, 4], datatype: 'INT32', data: [1, 2, 3, 4] },
          { name: 'b', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] },
        ],
      });
      expect(dtype.status).toBe(400);
      expect(dtype.json().error.message).toMatch(/input "a": datatype INT32, expected FP32/);
      const missing = await postJson(`${c.gatewayUrl}/v1/functions/add/invoke`, {
        inputs: [{ name: 'a', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }],
      });
      expect(missing.json().error.message).toMatch(/missing input "b": expected FP32 \[batch,4\]/);
      await stillServes();
    });

    it('unknown function → 404 over HTTP and NATS', async () => {
      const r = await postJson(`${c.gatewayUrl}/v1/functions/nope/invoke`, addBody([1, 2, 3, 4], [1, 2, 3, 4]));
      expect(r.status).toBe(404);
      expect(r.json().error.message).toMatch(/"nope" is not deployed/);
      const reply = await c.client.request('epara.v1.invoke.nope', Buffer.from('{}'), { timeout: 5000 });
      expect(reply.headers?.get('Nats-Service-Error-Code')).toBe('404');
      expect(JSON.parse(Buffer.from(reply.data).toString()).error.code).toBe(404);
      await stillServes();
    });

    it('payload over the limit → 413', async () => {
      // Over EPARA_MAX_BODY_MB (64): bodies between the NATS max payload and it go through the object store.
      const big = Buffer.alloc(65 * 1024 * 1024, 1);
      const r = await http(`${c.gatewayUrl}/v1/functions/add/invoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/msgpack' },
        body: big,
      });
      expect(r.status).toBe(413);
      expect(r.json().error.code).toBe(413);
      await stillServes();
    });

    it('garbage bytes on epara.v1.invoke.<fn> → 400 error reply', async () => {
      const h = natsHeaders();
      h.set('Content-Type', 'application/msgpack');
      const reply = await c.client.request('epara.v1.invoke.add', Buffer.from([0xc1, 0xff, 0x00, 0x13]), { timeout: 5000, headers: h });
      expect(reply.headers?.get('Nats-Service-Error-Code')).toBe('400');
      expect(reply.headers?.get('Nats-Service-Error')).toMatch(/msgpack|inputs/);
      const json = await c.client.request('epara.v1.invoke.add', Buffer.from('{{{{'), { timeout: 5000 });
      expect(json.headers?.get('Nats-Service-Error-Code')).toBe('400');
      await stillServes();
    });

    it('a passed Epara-Deadline → 504 without running', async () => {
      const r = await postJson(`${c.gatewayUrl}/v1/functions/add/invoke`, addBody([1, 2, 3, 4], [1, 2, 3, 4]), {
        'epara-deadline': String(Date.now() - 1000),
      });
      expect(r.status).toBe(504);
      await stillServes();
    });
  });

  it('lists devices, placement and the worker as a NATS service', async () => {
    const devices = (await http(`${c.gatewayUrl}/v1/devices`)).json().devices;
    expect(devices.map((d: { device: string }) => d.device)).toEqual(['cpu-0', 'cpu-1']);
    expect(devices[0]).toMatchObject({ executionProvider: 'cpu', live: true });
    const placement = (await http(`${c.gatewayUrl}/v1/placement`)).json().placement;
    expect(placement.length).toBe(2);
    const infos = await askMicroServices(c.client, 'info', { maxWaitMs: 2000, name: 'epara-worker' });
    expect(infos.map((i) => i.metadata?.device).sort()).toEqual(['cpu-0', 'cpu-1']);
    // The scheduler decides how many replicas `add` gets; at least one worker serves it as endpoints.
    const serving = infos.find((i) => i.metadata?.functions.split(',').includes('add'));
    expect(serving).toBeDefined();
    expect(serving!.endpoints.map((e) => [e.subject, e.queue_group])).toEqual(
      expect.arrayContaining([
        ['epara.v1.dp.add', 'epara.add'],
        [`epara.v1.dp.add.${serving!.metadata!.device}`, 'epara.add'],
      ]),
    );
  });

  it('answers the Open Inference Protocol metadata routes', async () => {
    expect((await http(`${c.gatewayUrl}/v2/health/live`)).status).toBe(200);
    const meta = (await http(`${c.gatewayUrl}/v2/models/add`)).json();
    expect(meta.inputs[0]).toEqual({ name: 'a', datatype: 'FP32', shape: [-1, 4] });
    const infer = await postJson(`${c.gatewayUrl}/v2/models/add/infer`, addBody([1, 2, 3, 4], [1, 2, 3, 4]));
    expect(infer.json().outputs[0].data).toEqual([2, 4, 6, 8]);
    const v1 = await postJson(`${c.gatewayUrl}/v2/models/add/versions/1/infer`, addBody([1, 2, 3, 4], [1, 2, 3, 4]));
    expect(v1.json().outputs[0].data).toEqual([2, 4, 6, 8]);
    expect((await http(`${c.gatewayUrl}/v2/models/add/versions/1`)).json().versions).toEqual(['1']);
    expect((await http(`${c.gatewayUrl}/v2/models/add/versions/1/ready`)).status).toBe(200);
    const v2 = await http(`${c.gatewayUrl}/v2/models/add/versions/2`);
    expect(v2.status).toBe(404);
    expect(v2.json().error).toMatch(/no version "2"/);
    // Errors in the protocol's own shape, {"error": "<string>"}, as Triton and KServe clients read them.
    const missing = await http(`${c.gatewayUrl}/v2/models/nope`);
    expect(missing.status).toBe(404);
    expect(missing.json()).toEqual({ error: expect.stringMatching(/"nope" is not deployed/) });
    const bad = await postJson(`${c.gatewayUrl}/v2/models/add/infer`, { inputs: 'x' });
    expect(bad.status).toBe(400);
    expect(typeof bad.json().error).toBe('string');
  });

  it('speaks the binary tensor data extension as tritonclient sends it (JSON header + raw bytes, no content type)', async () => {
    const f32 = (xs: number[]) => Buffer.from(new Float32Array(xs).buffer);
    const request = (header: object, ...tensors: Buffer[]) => {
      const h = Buffer.from(JSON.stringify(header));
      return http(`${c.gatewayUrl}/v2/models/add/infer`, {
        method: 'POST',
        headers: { 'Inference-Header-Content-Length': String(h.byteLength) },
        body: Buffer.concat([h, ...tensors]),
      });
    };
    const inputs = [
      { name: 'a', shape: [1, 4], datatype: 'FP32', parameters: { binary_data_size: 16 } },
      { name: 'b', shape: [1, 4], datatype: 'FP32', parameters: { binary_data_size: 16 } },
    ];
    const r = await request(
      {
        inputs,
        outputs: [
          { name: 'sum', parameters: { binary_data: true } },
          { name: 'prod', parameters: { binary_data: false } },
        ],
      },
      f32([1, 2, 3, 4]),
      f32([10, 20, 30, 40]),
    );
    expect(r.status).toBe(200);
    const headerLength = Number(r.headers.get('inference-header-content-length'));
    const header = JSON.parse(r.body.subarray(0, headerLength).toString());
    expect(header.model_name).toBe('add');
    expect(header.outputs).toEqual([
      { name: 'sum', datatype: 'FP32', shape: [1, 4], parameters: { binary_data_size: 16 } },
      { name: 'prod', datatype: 'FP32', shape: [1, 4], data: [10, 40, 90, 160] },
    ]);
    expect(r.body.subarray(headerLength).equals(f32([11, 22, 33, 44]))).toBe(true); // byte for byte
    // No outputs named, binary_data_output: every output in binary, in the model's order.
    const all = await request({ inputs, parameters: { binary_data_output: true } }, f32([1, 1, 1, 1]), f32([2, 2, 2, 2]));
    const n = Number(all.headers.get('inference-header-content-length'));
    expect(JSON.parse(all.body.subarray(0, n).toString()).outputs.map((o: { name: string }) => o.name)).toEqual(['sum', 'prod']);
    expect(all.body.subarray(n).equals(Buffer.concat([f32([3, 3, 3, 3]), f32([2, 2, 2, 2])]))).toBe(true);
    // A header length that does not fit: 400 in the protocol's error shape.
    const bad = await http(`${c.gatewayUrl}/v2/models/add/infer`, {
      method: 'POST',
      headers: { 'Inference-Header-Content-Length': '9999' },
      body: f32([1]),
    });
    expect(bad.status).toBe(400);
    expect(bad.json().error).toMatch(/Inference-Header-Content-Length is 9999/);
  });

  it('serves an FP16 model: JSON numbers in, half-precision results out, and raw FP16 bits over msgpack', async () => {
    expect((await deployMultipart(c.gatewayUrl, { name: 'half', kind: 'tensor', slo: { latencyMs: 2000 } }, buildHalfAdd())).status).toBe(
      201,
    );
    await ready('half');
    const rec = (await http(`${c.gatewayUrl}/v1/functions/half`)).json();
    expect(rec.model.inputs[0]).toMatchObject({ name: 'x', datatype: 'FP16' });
    const r = await postJson(`${c.gatewayUrl}/v1/functions/half/invoke`, {
      inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP16', data: [1, 2.5, -3, 0.1] }],
    });
    expect(r.status).toBe(200);
    expect(r.json().outputs[0]).toMatchObject({ name: 'y', datatype: 'FP16', shape: [1, 4], data: [2, 5, -6, 0.199951171875] });
    const bits = encodeTensorsMsgpack([
      { name: 'x', datatype: 'FP16', shape: [1, 4], data: new Uint16Array([0x3c00, 0x4000, 0xc200, 0x0001]) },
    ]);
    const m = await http(`${c.gatewayUrl}/v1/functions/half/invoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/msgpack', accept: 'application/msgpack' },
      body: Buffer.from(bits),
    });
    const [y] = decodeResultTensors(m.body, 'application/msgpack');
    expect(Array.from(y.data as Uint16Array)).toEqual([0x4000, 0x4400, 0xc600, 0x0002]); // 2, 4, -6, 2 × the smallest subnormal
  });

  it('deletes a function: it answers 404 afterwards and workers unload it', async () => {
    expect((await http(`${c.gatewayUrl}/v1/functions/mlp`, { method: 'DELETE' })).status).toBe(204);
    expect((await postJson(`${c.gatewayUrl}/v1/functions/mlp/invoke`, {})).status).toBe(404);
    await waitFor(
      async () =>
        !(await http(`${c.gatewayUrl}/v1/placement`))
          .json()
          .placement.some((p: { assignments: { fn: string }[] }) => p.assignments.some((a) => a.fn === 'mlp')),
      10_000,
      'mlp unplaced',
    );
    await stillServes();
  });
});
