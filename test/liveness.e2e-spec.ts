import { buildAdd } from '@epara/runtime';
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
    const placement = () => c.replicasOf('add');
    const before = await waitFor(async () => ((await placement()).length === 2 ? placement() : undefined), 20_000, 'two replicas');
    await waitFor(async () => (await http(`${gatewayUrl}/v2/models/add/ready`)).status === 200, 20_000, 'add ready');
    const lost: string[] = [];
    const sub = client.subscribe('epara.v1.events.device-lost', {
      callback: (_e, m) => void lost.push(m.json<{ device: string }>().device),
    });

    const load = c.steadyLoad('add', addBody);
    const { outcomes } = load;
    await new Promise((res) => setTimeout(res, 500));
    const victim = before[0];
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
    await new Promise((res) => setTimeout(res, 500));
    await load.stop();
    sub.unsubscribe();
    // Every request was answered with its result: one caught on the crashed worker was retried on the
    // other replica as soon as the probes found the worker gone, within its deadline.
    expect(outcomes.filter((s) => s !== 200)).toEqual([]);
    expect(outcomes.filter((s) => s === 200).length).toBeGreaterThan(20);
  });
});
