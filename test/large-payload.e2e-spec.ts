import { Objm } from '@nats-io/obj';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { decodeResultTensors, encodeTensorsMsgpack, Header, MediaType, ObjectBucket, Tensor } from '@epara/contracts';
import { LargePayloads } from '@epara/nats';
import { buildAdd } from '@epara/runtime';
import { startCluster, TestCluster, waitFor } from './support/cluster';
import { deployMultipart, http } from './support/http';

/** Rows of the add model's [rows, 4] FP32 inputs: 2 × 4.8 MB in, 2 × 4.8 MB out, over the 8 MB max payload both ways. */
const ROWS = 300_000;

const tensor = (name: string, f: (i: number) => number): Tensor => ({
  name,
  datatype: 'FP32',
  shape: [ROWS, 4],
  data: Float32Array.from({ length: ROWS * 4 }, (_, i) => f(i)),
});
const A = tensor('a', (i) => (i % 1000) / 8);
const B = tensor('b', (i) => ((i * 7) % 64) - 32);

/** Every element of sum and prod, against a + b and a · b computed here (FP32 arithmetic is exact on these values). */
function expectExact(outputs: Tensor[]): void {
  const sum = outputs.find((t) => t.name === 'sum')!;
  const prod = outputs.find((t) => t.name === 'prod')!;
  expect(sum.shape).toEqual([ROWS, 4]);
  expect(prod.shape).toEqual([ROWS, 4]);
  const a = A.data as Float32Array;
  const b = B.data as Float32Array;
  let wrong = 0;
  for (let i = 0; i < a.length; i++) if (sum.data[i] !== Math.fround(a[i] + b[i]) || prod.data[i] !== Math.fround(a[i] * b[i])) wrong++;
  expect(wrong).toBe(0);
}

/**
 * Bodies over the NATS max payload (8 MB here) travel through object store `epara_payloads` with an
 * `Epara-Payload-Ref` header, both ways, and each is deleted once read.
 */
describe('payloads over the NATS max payload go through the object store', () => {
  let c: TestCluster;
  const body = encodeTensorsMsgpack([A, B]);

  beforeAll(async () => {
    c = await startCluster({ workers: 1, env: { EPARA_MAX_BODY_MB: '16' } });
    const r = await deployMultipart(c.gatewayUrl, { name: 'add', kind: 'tensor', slo: { latencyMs: 20_000 } }, buildAdd());
    expect(r.status).toBe(201);
    await waitFor(async () => (await http(`${c.gatewayUrl}/v2/models/add/ready`)).status === 200, 30_000, 'add ready');
  });
  afterAll(async () => {
    await c?.stop();
  });

  const storedObjects = async () => {
    const os = await new Objm(c.client).create(ObjectBucket.Payloads);
    return (await os.list()).filter((o) => !o.deleted);
  };

  it('serves an HTTP request and reply larger than the max payload with exact results, leaving nothing stored', async () => {
    const maxPayload = c.client.info!.max_payload;
    expect(body.byteLength).toBeGreaterThan(maxPayload);
    const r = await http(`${c.gatewayUrl}/v1/functions/add/invoke`, {
      method: 'POST',
      headers: { 'content-type': MediaType.Msgpack, accept: MediaType.Msgpack },
      body,
    });
    expect(r.status).toBe(200);
    expect(r.body.byteLength).toBeGreaterThan(maxPayload);
    expect(r.headers.get('epara-device')).toBe('cpu-0');
    expect(r.headers.get(Header.PayloadRef.toLowerCase())).toBeNull();
    expectExact(decodeResultTensors(r.body, MediaType.Msgpack));
    expect(await storedObjects()).toEqual([]);
  });

  it('serves a NATS producer that stores its body itself and reads the reply by its ref', async () => {
    const producer = new LargePayloads(
      () => c.client.info!.max_payload,
      () => new Objm(c.client).create(ObjectBucket.Payloads),
    );
    const h = natsHeaders();
    h.set(Header.ContentType, MediaType.Msgpack);
    h.set(Header.Accept, MediaType.Msgpack);
    const reply = await producer.request(c.client, 'epara.v1.invoke.add', body, { timeout: 20_000, headers: h });
    expect(reply.msg.headers?.get(Header.ServiceErrorCode) ?? '').toBe('');
    expect(reply.msg.headers?.get(Header.PayloadRef)).toMatch(/^epara_payloads\/\w+$/);
    expectExact(decodeResultTensors(reply.body, MediaType.Msgpack));
    expect(await storedObjects()).toEqual([]);
  });

  it('answers 413 naming the limit for a body over EPARA_MAX_BODY_MB', async () => {
    const r = await http(`${c.gatewayUrl}/v1/functions/add/invoke`, {
      method: 'POST',
      headers: { 'content-type': MediaType.Msgpack },
      body: new Uint8Array(17 * 1024 * 1024),
    });
    expect(r.status).toBe(413);
    expect(r.json().error.message).toMatch(/larger than the limit of 16777216 bytes/);
  });
});
