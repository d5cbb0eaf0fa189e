import { connect, NatsConnection } from '@nats-io/transport-node';
import { buildAdd } from '@epara/runtime';
import { freePort, startNats, TestNats } from './support/nats-server';
import { AppProcess } from './support/processes';
import { TEST_ADMIN_KEY, waitFor } from './support/cluster';
import { deployMultipart, http, postJson } from './support/http';

const addBody = {
  inputs: [
    { name: 'a', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] },
    { name: 'b', shape: [1, 4], datatype: 'FP32', data: [1, 1, 1, 1] },
  ],
};

/**
 * A crashed worker (SIGKILL, separate processes) is found by its liveness subject, not by its
 * heartbeats ageing out: here the scheduler would call a silent device lost only after a minute, so
 * everything that happens sooner is the liveness probes' doing.
 */
describe('liveness: a crashed worker is noticed by its liveness subject', () => {
  let nats: TestNats;
  let client: NatsConnection;
  let gatewayUrl: string;
  const procs: AppProcess[] = [];

  const start = async (app: 'gateway' | 'worker' | 'scheduler', env: Record<string, string>) => {
    const p = new AppProcess(app, env);
    procs.push(p);
    await p.waitForLog(/ up;| listening on http/);
    return p;
  };

  beforeAll(async () => {
    nats = await startNats();
    const env = {
      NATS_URL: nats.url,
      EPARA_HEARTBEAT_MS: '200',
      EPARA_PLACEMENT_PERIOD_MS: '1000',
      EPARA_DEVICE_LOST_MS: '60000',
      EPARA_LEADER_REFRESH_MS: '300',
      EPARA_DEVICE_MEMORY_MB: '512',
      EPARA_LOG_FORMAT: 'json',
      EPARA_ADMIN_KEY: TEST_ADMIN_KEY,
    };
    const port = await freePort();
    await start('gateway', { ...env, EPARA_GATEWAY_PORT: String(port), EPARA_GATEWAY_HOST: '127.0.0.1' });
    gatewayUrl = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 3; i++) await start('worker', { ...env, EPARA_DEVICE: `cpu:${i}` });
    await start('scheduler', env);
    client = await connect({ servers: nats.url });
  }, 120_000);

  afterAll(async () => {
    await client?.close();
    for (const p of procs.reverse()) await p.stop();
    await nats?.stop();
  });

  it('stops routing to it, tells everyone it is lost and re-places its replica, while requests keep being answered', async () => {
    const r = await deployMultipart(
      gatewayUrl,
      { name: 'add', kind: 'tensor', slo: { latencyMs: 1000 }, hints: { replicas: 2 } },
      buildAdd(),
    );
    expect(r.status).toBe(201);
    const placement = async () =>
      ((await http(`${gatewayUrl}/v1/placement`)).json().placement as { device: string; assignments: { fn: string }[] }[])
        .filter((p) => p.assignments.some((a) => a.fn === 'add'))
        .map((p) => p.device)
        .sort();
    const before = await waitFor(async () => ((await placement()).length === 2 ? placement() : undefined), 20_000, 'two replicas');
    await waitFor(async () => (await http(`${gatewayUrl}/v2/models/add/ready`)).status === 200, 20_000, 'add ready');
    const lost: string[] = [];
    const sub = client.subscribe('epara.v1.events.device-lost', {
      callback: (_e, m) => void lost.push(m.json<{ device: string }>().device),
    });

    const outcomes: number[] = [];
    let running = true;
    const load = (async () => {
      while (running) {
        outcomes.push((await postJson(`${gatewayUrl}/v1/functions/add/invoke`, addBody)).status);
        await new Promise((res) => setTimeout(res, 5));
      }
    })();
    await new Promise((res) => setTimeout(res, 500));
    const victim = before[0];
    await procs[1 + Number(victim.split('-')[1])].crash();

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
    running = false;
    await load;
    sub.unsubscribe();
    // Every request got an answer: a result, or a clear error (a request that was on the crashed worker times out with 504).
    expect(outcomes.filter((s) => s !== 200 && s !== 504)).toEqual([]);
    expect(outcomes.filter((s) => s === 200).length).toBeGreaterThan(20);
  });
});
