import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { buildAdd } from '@epara/runtime';
import { AppProcess } from './support/processes';
import { ADD_BODY as addBody, ProcessCluster } from './support/process-cluster';
import { waitFor } from './support/cluster';
import { deployMultipart, http, postJson } from './support/http';

/**
 * The state-aware scheduler against real processes: devices crash (SIGKILL, no goodbye), join, and the
 * active scheduler dies. Requests keep being served throughout, apart from those whose deadline passed.
 */
describe('failover: lost devices, new devices and scheduler takeover (separate processes)', () => {
  let c: ProcessCluster;
  let gatewayUrl: string;
  let client: NatsConnection;
  const workers: AppProcess[] = [];
  const schedulers: AppProcess[] = [];
  const start = (app: 'worker' | 'scheduler', extra: Record<string, string>) => c.add(app, extra);
  const replicasOf = (fn: string) => c.replicasOf(fn);

  beforeAll(async () => {
    c = await ProcessCluster.start();
    ({ gatewayUrl, client } = c);
    for (let i = 0; i < 3; i++) workers.push(await start('worker', { EPARA_DEVICE: `cpu:${i}` }));
    schedulers.push(await start('scheduler', { EPARA_SCHEDULER_ID: 'scheduler-a' }));
    schedulers.push(await start('scheduler', { EPARA_SCHEDULER_ID: 'scheduler-b' }));
  }, 120_000);

  afterAll(async () => {
    await c?.stop();
  });

  it('places a function with two replicas, and keeps serving while one replica’s device crashes', async () => {
    const r = await deployMultipart(
      gatewayUrl,
      { name: 'add', kind: 'tensor', slo: { latencyMs: 1000 }, hints: { replicas: 2 } },
      buildAdd(),
    );
    expect(r.status).toBe(201);
    const before: string[] = await waitFor(
      async () => {
        const d = await replicasOf('add');
        return d.length === 2 ? d : undefined;
      },
      20_000,
      'two replicas placed',
    );
    await waitFor(async () => (await http(`${gatewayUrl}/v2/models/add/ready`)).status === 200, 20_000, 'add ready');

    // Steady load through the gateway while a replica's device crashes.
    const load = c.steadyLoad('add', addBody);
    const { outcomes } = load;
    await new Promise((r) => setTimeout(r, 500));
    const victim = workers[Number(before[0].split('-')[1])];
    await victim.crash();
    const crashedAt = outcomes.length;
    // Lost after 1.5 s without heartbeats, re-placed within two periods.
    const after: string[] = await waitFor(
      async () => {
        const d = await replicasOf('add');
        return d.length === 2 && !d.includes(before[0]) ? d : undefined;
      },
      10_000,
      'lost replica re-placed on the third device',
    );
    await new Promise((r) => setTimeout(r, 1000));
    await load.stop();
    expect(after).not.toContain(before[0]);
    const failures = outcomes.filter((s) => s !== 200 && s !== 504);
    expect(failures).toEqual([]);
    expect(outcomes.slice(crashedAt).filter((s) => s === 200).length).toBeGreaterThan(20);
    const devices = (await http(`${gatewayUrl}/v1/devices`)).json().devices as { device: string; live: boolean }[];
    expect(devices.find((d) => d.device === before[0])?.live ?? false).toBe(false);
  });

  it('gives work to a worker that joins', async () => {
    const r = await deployMultipart(
      gatewayUrl,
      { name: 'wide', kind: 'tensor', slo: { latencyMs: 1000 }, hints: { replicas: 3 } },
      buildAdd(),
    );
    expect(r.status).toBe(201);
    await waitFor(async () => (await replicasOf('wide')).length === 2, 20_000, 'wide on both live devices');
    workers.push(await start('worker', { EPARA_DEVICE: 'cpu:7' }));
    await waitFor(async () => (await replicasOf('wide')).includes('cpu-7'), 10_000, 'the new worker gets a replica');
  });

  it('makes no placement change under steady state', async () => {
    const placed: unknown[] = [];
    const sub = client.subscribe('epara.v1.events.placed', { callback: (_e, m) => void placed.push(m.data) });
    await new Promise((r) => setTimeout(r, 3500));
    sub.unsubscribe();
    expect(placed).toEqual([]);
  });

  it('gives a worker that crashed and came back its share of the traffic', async () => {
    const seven = workers[workers.length - 1];
    await seven.crash();
    await waitFor(async () => !(await replicasOf('wide')).includes('cpu-7'), 10_000, 'the crashed worker loses its replica');
    workers.push(await start('worker', { EPARA_DEVICE: 'cpu:7' }));
    await waitFor(async () => (await replicasOf('wide')).includes('cpu-7'), 10_000, 'the returning worker is placed again');
    await waitFor(
      async () => {
        const devices = (await http(`${gatewayUrl}/v1/devices`)).json().devices as {
          device: string;
          live: boolean;
          functions: { fn: string; ready: boolean }[];
        }[];
        return devices.find((d) => d.device === 'cpu-7' && d.live)?.functions.some((l) => l.fn === 'wide' && l.ready);
      },
      10_000,
      'the gateway sees its replica ready',
    );
    // One request at a time: every replica is idle at each choice, so only the tie-break decides. The
    // returning worker's estimate comes from its cold first runs; it must still get its share.
    const served = new Map<string, number>();
    const requests = 150;
    for (let i = 0; i < requests; i++) {
      const r = await postJson(`${gatewayUrl}/v1/functions/wide/invoke`, addBody);
      expect(r.status).toBe(200);
      const device = r.headers.get('epara-device') ?? 'none';
      served.set(device, (served.get(device) ?? 0) + 1);
    }
    const replicas = await replicasOf('wide');
    expect(replicas).toContain('cpu-7');
    // A fair share is requests / replicas; a third of it is far from what a winner-takes-all tie gives.
    const starved = replicas.filter((d) => (served.get(d) ?? 0) <= requests / replicas.length / 3);
    expect({ starved, served: Object.fromEntries(served) }).toMatchObject({ starved: [] });
  });

  it('hands over to the standby scheduler when the active one dies', async () => {
    const lock = async () => {
      const kv = await new Kvm(client).create('epara_leader');
      const e = await kv.get('scheduler');
      return e && e.operation === 'PUT' ? (JSON.parse(Buffer.from(e.value).toString()).id as string) : undefined;
    };
    const leaderId = await waitFor(lock, 5000, 'a leader');
    const leader = schedulers[leaderId === 'scheduler-a' ? 0 : 1];
    await leader.crash();
    // The lock expires (TTL 6 s) and the standby takes it.
    const next = await waitFor(
      async () => {
        const id = await lock();
        return id && id !== leaderId && id;
      },
      15_000,
      'standby takes the lock',
    );
    expect(next).not.toBe(leaderId);
    // The new leader schedules: a new function gets placed.
    expect(
      (await deployMultipart(gatewayUrl, { name: 'after-takeover', kind: 'tensor', slo: { latencyMs: 1000 } }, buildAdd())).status,
    ).toBe(201);
    await waitFor(async () => (await replicasOf('after-takeover')).length >= 1, 10_000, 'placed by the new leader');
  });
});
