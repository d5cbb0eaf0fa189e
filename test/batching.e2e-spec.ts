import { headers as natsHeaders, Msg } from '@nats-io/transport-node';
import { encodeTensorsMsgpack } from '@epara/contracts';
import { buildAdd, buildCnn, buildMlp } from '@epara/runtime';
import { WorkerService } from '../apps/worker/src/serving/worker.service';
import { startCluster, TestCluster, waitFor } from './support/cluster';
import { deployMultipart, http } from './support/http';

const msgpack = () => {
  const h = natsHeaders();
  h.set('Content-Type', 'application/msgpack');
  h.set('Accept', 'application/msgpack');
  return h;
};
const mlpInput = () => encodeTensorsMsgpack([{ name: 'x', datatype: 'FP32', shape: [1, 256], data: new Float32Array(256).fill(0.5) }]);
const addInput = () =>
  encodeTensorsMsgpack([
    { name: 'a', datatype: 'FP32', shape: [1, 4], data: new Float32Array([1, 2, 3, 4]) },
    { name: 'b', datatype: 'FP32', shape: [1, 4], data: new Float32Array([1, 1, 1, 1]) },
  ]);
const code = (m: Msg) => m.headers?.get('Nats-Service-Error-Code') || '200';

describe('categorization, per-mode dispatch and dynamic batching (real apps)', () => {
  let c: TestCluster;
  const worker = () => c.workers[0].get(WorkerService);

  beforeAll(async () => {
    c = await startCluster({ workers: 1 });
  });
  afterAll(async () => {
    await c?.stop();
  });

  const ready = (name: string) =>
    waitFor(async () => (await http(`${c.gatewayUrl}/v2/models/${name}/ready`)).status === 200, 30_000, `${name} ready`);

  it('categorizes by load: a high expected rate gives frequency × single → batch; a sparse one latency × single → dp', async () => {
    const bulk = await deployMultipart(
      c.gatewayUrl,
      { name: 'bulk', kind: 'tensor', slo: { latencyMs: 2000 }, expected: { rps: 100000 } },
      buildMlp(),
    );
    expect(bulk.status).toBe(201);
    const interactive = await deployMultipart(c.gatewayUrl, { name: 'interactive', kind: 'tensor', slo: { latencyMs: 1000 } }, buildAdd());
    expect(interactive.status).toBe(201);
    await ready('bulk');
    await ready('interactive');
    // The worker profiles each function on load; the scheduler then re-categorizes with the profile.
    const rec = await waitFor(
      async () => {
        const r = (await http(`${c.gatewayUrl}/v1/functions/bulk`)).json();
        return !r.category.provisional && r;
      },
      20_000,
      'bulk profiled',
    );
    expect(Object.values(rec.profiles)[0]).toMatchObject({
      execMsByBatch: expect.objectContaining({ '1': expect.any(Number), '8': expect.any(Number) }),
    });
    expect(rec.category).toMatchObject({ sensitivity: 'frequency', footprint: 'single', mode: 'batch' });
    expect(rec.category.reason).toMatch(/load/);
    const inter = (await http(`${c.gatewayUrl}/v1/functions/interactive`)).json();
    expect(inter.category).toMatchObject({ sensitivity: 'latency', footprint: 'single', mode: 'dp' });
    await waitFor(
      async () =>
        (await http(`${c.gatewayUrl}/v1/placement`))
          .json()
          .placement[0]?.assignments.find((a: { fn: string; mode: string }) => a.fn === 'bulk' && a.mode === 'batch'),
      10_000,
      'bulk placed in batch mode',
    );
  });

  it('serves a burst to a batch-mode function in batches larger than one, while a latency-sensitive function on the same device keeps meeting its deadline', async () => {
    await waitFor(
      () =>
        worker()
          .functionLoads()
          .find((f) => f.fn === 'bulk' && f.mode === 'batch'),
      10_000,
      'worker serves bulk in batch mode',
    );
    const burst = Array.from({ length: 200 }, () =>
      c.client.request('epara.v1.invoke.bulk', mlpInput(), { timeout: 10_000, headers: msgpack() }),
    );
    const interactive: Msg[] = [];
    for (let i = 0; i < 10; i++)
      interactive.push(await c.client.request('epara.v1.invoke.interactive', addInput(), { timeout: 10_000, headers: msgpack() }));
    const replies = await Promise.all(burst);
    expect(replies.filter((m) => code(m) !== '200').map((m) => `${code(m)} ${m.headers?.get('Nats-Service-Error')}`)).toEqual([]);
    const sizes = replies.map((m) => Number(m.headers?.get('Epara-Batch-Size')));
    expect(Math.max(...sizes)).toBeGreaterThan(1);
    expect(interactive.map(code)).toEqual(new Array(10).fill('200'));
  });

  it('answers 504 for a request whose deadline has passed, and never runs it', async () => {
    const before = worker().executor.load('interactive').completed;
    const h = msgpack();
    h.set('Epara-Deadline', String(Date.now() - 5));
    const viaWorker = await c.client.request('epara.v1.dp.interactive', addInput(), { timeout: 5000, headers: h });
    expect(code(viaWorker)).toBe('504');
    expect(viaWorker.headers?.get('Nats-Service-Error')).toMatch(/deadline passed/);
    expect(worker().executor.load('interactive').completed).toBe(before);
  });

  it('answers 429 when a function queue is full, and serves again once it drains', async () => {
    const w = await c.addWorker(5, { EPARA_MAX_QUEUE: '2', EPARA_DEVICE_CONCURRENCY: '1' });
    expect(
      (
        await deployMultipart(
          c.gatewayUrl,
          { name: 'slow', kind: 'tensor', slo: { latencyMs: 30000 }, hints: { maxBatchSize: 1 } },
          buildCnn(),
        )
      ).status,
    ).toBe(201);
    const svc = w.get(WorkerService);
    await waitFor(() => svc.placedFunctions().includes('slow'), 20_000, 'slow on cpu-5');
    const input = encodeTensorsMsgpack([{ name: 'x', datatype: 'FP32', shape: [1, 3, 64, 64], data: new Float32Array(3 * 64 * 64) }]);
    const replies = await Promise.all(
      Array.from({ length: 40 }, () => c.client.request('epara.v1.dp.slow.cpu-5', input, { timeout: 20_000, headers: msgpack() })),
    );
    const codes = replies.map(code);
    expect(codes).toContain('429');
    expect(codes).toContain('200');
    const shed = replies.find((m) => code(m) === '429')!;
    expect(shed.headers?.get('Nats-Service-Error')).toMatch(/queue of "slow" is full/);
    // It says when the queue ahead will have drained (whole seconds, at least 1), as HTTP's Retry-After.
    expect(Number(shed.headers?.get('Retry-After'))).toBeGreaterThanOrEqual(1);
    const after = await c.client.request('epara.v1.dp.slow.cpu-5', input, { timeout: 20_000, headers: msgpack() });
    expect(code(after)).toBe('200');
  });
});
