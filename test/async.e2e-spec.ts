import { jetstream } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { buildAdd } from '@epara/runtime';
import { startCluster, TestCluster, waitFor } from './support/cluster';
import { CallbackHook, deployMultipart, http, postJson, startCallbackHook } from './support/http';

const body = {
  inputs: [
    { name: 'a', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] },
    { name: 'b', shape: [1, 4], datatype: 'FP32', data: [10, 10, 10, 10] },
  ],
};

describe('durable invocations: POST /v1/functions/:name/async, epara.v1.async.<fn>, GET /v1/requests/:id', () => {
  let c: TestCluster;
  let hook: CallbackHook;
  let hookUrl: string;

  beforeAll(async () => {
    hook = await startCallbackHook();
    const hookHost = hook.host;
    hookUrl = `http://${hookHost}/done`;
    // A loopback callback is allowed only when listed exactly (test/hardening.e2e-spec.ts: what is refused).
    c = await startCluster({ workers: 1, env: { EPARA_CALLBACK_ALLOW_HOSTS: hookHost } });
    expect((await deployMultipart(c.gatewayUrl, { name: 'add', kind: 'tensor', slo: { latencyMs: 5000 } }, buildAdd())).status).toBe(201);
    await waitFor(async () => (await http(`${c.gatewayUrl}/v2/models/add/ready`)).status === 200, 30_000, 'add ready');
  });
  afterAll(async () => {
    hook?.close();
    await c?.stop();
  });

  const result = (id: string) =>
    waitFor(
      async () => {
        const r = (await http(`${c.gatewayUrl}/v1/requests/${id}`)).json();
        return r.status === 'done' || r.status === 'failed' ? r : undefined;
      },
      20_000,
      `request ${id} finished`,
    );

  it('accepts with 202 and an id, then serves the result and calls back', async () => {
    const r = await postJson(`${c.gatewayUrl}/v1/functions/add/async`, body, { 'x-callback-url': hookUrl });
    expect(r.status).toBe(202);
    const { id, status, statusUrl } = r.json();
    expect(status).toBe('queued');
    expect(statusUrl).toBe(`/v1/requests/${id}`);
    const done = await result(id);
    expect(done.status).toBe('done');
    expect(done.result.outputs.find((o: { name: string }) => o.name === 'sum').data).toEqual([11, 12, 13, 14]);
    expect(done.servedBy['Epara-Device']).toBe('cpu-0');
    await waitFor(() => hook.bodies.some((x) => (x as { id: string }).id === id), 10_000, 'callback');
  });

  it('takes durable invocations published by a producer on epara.v1.async.<fn>', async () => {
    const h = natsHeaders();
    h.set('Content-Type', 'application/json');
    h.set('Epara-Request-Id', 'sensor-42-frame-7');
    await jetstream(c.client).publish('epara.v1.async.add', Buffer.from(JSON.stringify(body)), { headers: h });
    const done = await result('sensor-42-frame-7');
    expect(done.result.outputs[0].data).toEqual([11, 12, 13, 14]);
  });

  it('records bad input as failed with its code, and unknown requests and functions as 404', async () => {
    const bad = await postJson(`${c.gatewayUrl}/v1/functions/add/async`, {
      inputs: [{ name: 'a', shape: [1], datatype: 'FP32', data: [1] }],
    });
    expect(bad.status).toBe(202);
    const failed = await result(bad.json().id);
    expect(failed.status).toBe('failed');
    expect(failed.error.code).toBe(400);
    expect((await postJson(`${c.gatewayUrl}/v1/functions/nope/async`, body)).status).toBe(404);
    expect((await http(`${c.gatewayUrl}/v1/requests/never-seen`)).status).toBe(404);
  });
});
