import { headers as natsHeaders, Msg } from '@nats-io/transport-node';
import { encodeTensorsMsgpack } from '@epara/contracts';
import { buildCnn } from '@epara/runtime';
import { WorkerService } from '../apps/worker/src/serving/worker.service';
import { startCluster, TestCluster, waitFor } from './support/cluster';
import { deployMultipart, http } from './support/http';

const GATEWAY_REFUSAL = /this gateway forwards at most/;

describe('overload control: the workers shed, the gateway throttles, then lets traffic back (real apps)', () => {
  let c: TestCluster;
  const worker = () => c.workers[0].get(WorkerService);
  // A CNN on 160×160 inputs: a few ms per run, so a burst of hundreds outlasts a 20 ms SLO many times over.
  const body = encodeTensorsMsgpack([
    { name: 'x', datatype: 'FP32', shape: [1, 3, 160, 160], data: new Float32Array(3 * 160 * 160).fill(0.1) },
  ]);
  const send = (): Promise<Msg | undefined> => {
    const h = natsHeaders();
    h.set('Content-Type', 'application/msgpack');
    h.set('Accept', 'application/msgpack');
    return c.client.request('epara.v1.invoke.heavy', body, { timeout: 5000, headers: h }).catch(() => undefined);
  };

  beforeAll(async () => {
    c = await startCluster({ workers: 1 });
    const d = await deployMultipart(
      c.gatewayUrl,
      { name: 'heavy', kind: 'tensor', slo: { latencyMs: 20 }, hints: { mode: 'dp' } },
      buildCnn({ size: 160 }),
    );
    expect(d.status).toBe(201);
    await waitFor(async () => (await http(`${c.gatewayUrl}/v2/models/heavy/ready`)).status === 200, 30_000, 'heavy ready');
    await new Promise((r) => setTimeout(r, 600)); // heartbeats with it ready: the gateway routes to it
  });
  afterAll(async () => {
    await c?.stop();
  });

  it('answers the excess 429 at the gateway with Retry-After once the worker sheds, and serves again after the burst', async () => {
    let gatewayRefusal: Msg | undefined;
    let workerRefusals = 0;
    const until = Date.now() + 15_000;
    // Waves of 300 concurrent requests until the gateway itself refuses one (heartbeats every 200 ms
    // carry the worker's refusals; the gateway recomputes its limit once a second).
    while (!gatewayRefusal && Date.now() < until) {
      const replies = await Promise.all(Array.from({ length: 300 }, send));
      for (const m of replies) {
        const code = m?.headers?.get('Nats-Service-Error-Code');
        if (code === '429' && GATEWAY_REFUSAL.test(m!.headers!.get('Nats-Service-Error'))) gatewayRefusal ??= m;
        else if (code === '429' || code === '504') workerRefusals++; // shed by the worker: queue too long, or waited too long
      }
    }
    expect(workerRefusals).toBeGreaterThan(0);
    expect(gatewayRefusal).toBeDefined();
    expect(gatewayRefusal!.headers!.get('Retry-After')).toBe('1');
    expect(JSON.parse(Buffer.from(gatewayRefusal!.data).toString()).error).toMatchObject({ code: 429, details: { function: 'heavy' } });
    // What the gateway read: the worker's heartbeat counts its refusals for load.
    const load = worker()
      .functionLoads()
      .find((f) => f.fn === 'heavy');
    expect(load?.shed).toBeGreaterThan(0);
    expect(load!.shed!).toBeLessThanOrEqual(load!.received);
    // The burst is over: single requests meet the SLO again, and the limit rises until it is lifted.
    await waitFor(
      async () => {
        const m = await send();
        return m && !m.headers?.get('Nats-Service-Error-Code');
      },
      15_000,
      'a request served after the burst',
    );
  });
});
