import { listeningPort } from '@epara/nats';
import { buildCnn, encodeModel, floatValueInfo, node } from '@epara/runtime';
import { startCluster, TestCluster, waitFor } from './support/cluster';
import { deployMultipart, http, postJson } from './support/http';

/**
 * Health that tells the truth (real apps, a real nats-server stopped and started again): load balancers
 * and compose healthchecks read these routes, and callers must learn of an outage at once.
 */
describe('health routes and a NATS outage', () => {
  let c: TestCluster;
  const workerUrl = () => `http://127.0.0.1:${listeningPort(c.workers[0])}`;
  const schedulerUrl = () => `http://127.0.0.1:${listeningPort(c.scheduler!)}`;
  const invoke = () =>
    postJson(`${c.gatewayUrl}/v1/functions/cnn/invoke`, {
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3, 32, 32], data: new Array(3 * 32 * 32).fill(0.1) }],
    });

  beforeAll(async () => {
    c = await startCluster({ workers: 1 });
    const d = await deployMultipart(c.gatewayUrl, { name: 'cnn', kind: 'tensor', slo: { latencyMs: 500 } }, buildCnn({ size: 32 }));
    expect(d.status).toBe(201);
    await waitFor(async () => (await http(`${c.gatewayUrl}/v2/models/cnn/ready`)).status === 200, 30_000, 'cnn ready');
    await waitFor(async () => (await invoke()).status === 200, 10_000, 'cnn answers');
  });
  afterAll(async () => {
    await c?.stop();
  });

  it('reports live and ready with details on every app while NATS answers', async () => {
    for (const url of [c.gatewayUrl, workerUrl(), schedulerUrl()]) {
      expect((await http(`${url}/health/live`)).status).toBe(200);
      const ready = await http(`${url}/health/ready`);
      expect(ready.status).toBe(200);
      expect(ready.json()).toMatchObject({ status: 'ok', nats: 'up' });
    }
    expect((await http(`${c.gatewayUrl}/health/ready`)).json()).toMatchObject({ functions: 1 });
    expect((await http(`${workerUrl()}/health/ready`)).json()).toMatchObject({ units: { cnn: 'ready' } });
    expect((await http(`${c.gatewayUrl}/v2/health/ready`)).json()).toEqual({ ready: true });
  });

  it('refuses at deploy a model whose declared input no request could carry, naming the input and the limit', async () => {
    const huge = encodeModel(
      {
        name: 'huge',
        node: [node('Relu', ['x'], 'y')],
        input: [floatValueInfo('x', ['batch', 100000, 100000])],
        output: [floatValueInfo('y', ['batch', 100000, 100000])],
      },
      'a valid model no device could ever be sent an input for',
    );
    const r = await deployMultipart(c.gatewayUrl, { name: 'huge', kind: 'tensor', slo: { latencyMs: 500 } }, huge);
    expect(r.status).toBe(400);
    expect(r.json().error.message).toMatch(/input "x" \(FP32 \[batch, 100000, 100000\]\) needs 37\.3 GB for one item.*EPARA_MAX_BODY_MB/);
    expect((await http(`${c.gatewayUrl}/v1/functions/huge`)).status).toBe(404);
    expect((await invoke()).status).toBe(200); // the rest goes on
  });

  it('says not ready, and answers callers 503 with a reason, while NATS is down; recovers when it is back', async () => {
    await c.nats.down();
    try {
      // Every app notices the outage: readiness is a flush the server must answer, not "the socket was open once".
      for (const url of [c.gatewayUrl, workerUrl(), schedulerUrl()]) {
        const ready = await waitFor(
          async () => {
            const r = await http(`${url}/health/ready`);
            return r.status === 503 ? r : undefined;
          },
          5000,
          `${url} not ready`,
        );
        expect(ready.json()).toMatchObject({ status: 'error', nats: 'down', reason: expect.stringMatching(/NATS/) });
        expect((await http(`${url}/health/live`)).status).toBe(200); // alive: no reason to restart it
      }
      expect((await http(`${c.gatewayUrl}/v2/health/ready`)).status).toBe(503);
      const r = await invoke();
      expect(r.status).toBe(503);
      expect(r.headers.get('retry-after')).toBe('1');
      expect(r.json()).toMatchObject({ error: { code: 503, message: expect.stringMatching(/NATS is unreachable/) } });
    } finally {
      await c.nats.up();
    }
    await waitFor(async () => (await http(`${c.gatewayUrl}/health/ready`)).status === 200, 15_000, 'gateway ready again');
    await waitFor(async () => (await invoke()).status === 200, 15_000, 'cnn answers again');
  });
});
