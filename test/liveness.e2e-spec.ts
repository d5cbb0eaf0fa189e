import { headers as natsHeaders } from '@nats-io/transport-node';
import { encodeTensorsMsgpack } from '@epara/contracts';
import { buildAdd, buildCnn } from '@epara/runtime';
import { waitFor } from './support/cluster';
import { deployMultipart, http } from './support/http';
import { ADD_BODY as addBody, ProcessCluster } from './support/process-cluster';
import type { AppProcess } from './support/processes';

/**
 * A crashed worker (SIGKILL, separate processes) is found by its liveness subject, not by its
 * heartbeats ageing out: here the scheduler would call a silent device lost only after a minute, so
 * everything that happens sooner is the liveness probes' doing.
 */
describe('liveness: a crashed worker is noticed by its liveness subject', () => {
  let c: ProcessCluster;
  const workers: AppProcess[] = [];

  beforeAll(async () => {
    c = await ProcessCluster.start({ EPARA_DEVICE_LOST_MS: '60000' });
    for (let i = 0; i < 3; i++) workers.push(await c.add('worker', { EPARA_DEVICE: `cpu:${i}` }));
    await c.add('scheduler');
  }, 120_000);

  afterAll(async () => {
    await c?.stop();
  });

  it('stops routing to it, retries what waited on it, tells everyone it is lost and re-places its replica', async () => {
    const { gatewayUrl, client } = c;
    const r = await deployMultipart(
      gatewayUrl,
      { name: 'add', kind: 'tensor', slo: { latencyMs: 1000 }, hints: { replicas: 2 } },
      buildAdd(),
    );
    expect(r.status).toBe(201);
    // A CNN of a few ms per run for the NATS producers: requests queue on the worker, so some are caught there by the crash.
    expect(
      (
        await deployMultipart(
          gatewayUrl,
          { name: 'cnn', kind: 'tensor', slo: { latencyMs: 1000 }, hints: { replicas: 2, mode: 'dp' } },
          buildCnn({ size: 64 }),
        )
      ).status,
    ).toBe(201);
    const placement = () => c.replicasOf('add');
    const before = await waitFor(async () => ((await placement()).length === 2 ? placement() : undefined), 20_000, 'two replicas');
    await waitFor(async () => (await http(`${gatewayUrl}/v2/models/add/ready`)).status === 200, 20_000, 'add ready');
    await waitFor(async () => (await c.replicasOf('cnn')).length === 2, 20_000, 'cnn on two devices');
    await waitFor(async () => (await http(`${gatewayUrl}/v2/models/cnn/ready`)).status === 200, 20_000, 'cnn ready');
    const cnnBody = encodeTensorsMsgpack([
      { name: 'x', datatype: 'FP32', shape: [1, 3, 64, 64], data: new Float32Array(3 * 64 * 64).fill(0.1) },
    ]);
    const lost: string[] = [];
    const sub = client.subscribe('epara.v1.events.device-lost', {
      callback: (_e, m) => void lost.push(m.json<{ device: string }>().device),
    });

    const load = c.steadyLoad('add', addBody);
    const { outcomes } = load;
    // Producers over NATS at the same time, with direct reply: the worker answers them itself.
    const natsOutcomes: string[] = [];
    let natsRunning = true;
    const h = natsHeaders();
    h.set('Content-Type', 'application/msgpack');
    const natsLoads = Array.from({ length: 16 }, async () => {
      while (natsRunning) {
        const outcome = await client
          .request('epara.v1.invoke.cnn', cnnBody, { timeout: 3000, headers: h })
          .then((m) => m.headers?.get('Nats-Service-Error-Code') || 'ok')
          .catch((e: Error) => (/timeout/i.test(e.message) ? 'timeout' : /no responders/i.test(e.message) ? 'no-responders' : e.message));
        natsOutcomes.push(outcome);
      }
    });
    await new Promise((res) => setTimeout(res, 500));
    // A device that holds both functions (2 + 2 replicas on 3 devices share one).
    const cnnDevices = await c.replicasOf('cnn');
    const victim = before.find((d) => cnnDevices.includes(d))!;
    await workers[Number(victim.split('-')[1])].crash();

    await waitFor(() => lost.includes(victim), 10_000, `device-lost event for ${victim}`);
    const devices = (await http(`${gatewayUrl}/v1/devices`)).json().devices as { device: string }[];
    expect(devices.map((d) => d.device)).not.toContain(victim);
    const after = await waitFor(
      async () => {
        const d = await placement();
        return d.length === 2 && !d.includes(victim) ? d : undefined;
      },
      10_000,
      're-placed off the crashed device',
    );
    expect(after).not.toContain(victim);
    // Enough load after the re-placement for the counts below, however fast the crash was handled.
    await new Promise((res) => setTimeout(res, 1500));
    await load.stop();
    natsRunning = false;
    await Promise.all(natsLoads);
    sub.unsubscribe();
    // Direct reply: nothing waits out its timeout in silence. A request caught on the crashed worker is
    // sent again to the other replica; one routed there before the probes noticed gets "no responders".
    expect(natsOutcomes.filter((o) => o !== 'ok' && o !== 'no-responders')).toEqual([]);
    expect(natsOutcomes.filter((o) => o === 'ok').length).toBeGreaterThan(20);
    // Every request was answered with its result: one caught on the crashed worker was retried on the
    // other replica as soon as the probes found the worker gone, within its deadline.
    expect(outcomes.filter((s) => s !== 200)).toEqual([]);
    expect(outcomes.filter((s) => s === 200).length).toBeGreaterThan(20);
  });
});
