import { connect, headers as natsHeaders, NatsConnection } from '@nats-io/transport-node';
import { Header } from '@epara/contracts';
import { buildAdd } from '@epara/runtime';
import { deployMultipart, http, postJson } from './support/http';
import { loadNetns, NetnsBed, netnsUnavailableReason } from './support/netns-bed';
import { ADD_BODY, PROCESS_APP_ENV, replicasOf, steadyLoad } from './support/process-cluster';
import { waitFor } from './support/wait-for';

/**
 * Epara across hosts (scripts/lib/netns.mjs): each host a network namespace with its own nats-server,
 * the apps started through scripts/role.mjs from dist/. Needs root and iproute2; skipped otherwise.
 */
// Runs wherever the bed can be built (root, ip netns); EPARA_TEST_NETNS=0 leaves it out. It was opt-in
// while its cross-host requests timed out in one CI run of three: a route to a host cut off stayed open
// for the whole cut and its blocked writes stalled the other routes (nats-server 2.9's defaults); the
// bed's servers now ping every second, give up on a blocked write after 2 s, and each host's TCP gives
// up on a silent peer after about 3 s (scripts/lib/nats-config.mjs, scripts/lib/netns.mjs).
const unavailable = process.env.EPARA_TEST_NETNS === '0' ? 'left out: EPARA_TEST_NETNS=0' : netnsUnavailableReason();
if (unavailable) console.warn(`test/netns.e2e-spec.ts skipped: ${unavailable}`);
const describeNetns = unavailable ? describe.skip : describe;

/** Fast periods, as the process-level tests use: a cut host is noticed by its missed liveness probes. */
const APP_ENV = PROCESS_APP_ENV;

const ADD_SUM = [2, 3, 4, 5];

/** Deploys the synthetic `add` with `replicas` and waits until they are placed and it answers ready. */
async function deployAdd(gatewayUrl: string, replicas: number, latencyMs = 1000): Promise<string[]> {
  const r = await deployMultipart(gatewayUrl, { name: 'add', kind: 'tensor', slo: { latencyMs }, hints: { replicas } }, buildAdd());
  expect(r.status).toBe(201);
  const placed = await waitFor(
    async () => ((await replicasOf(gatewayUrl, 'add')).length === replicas ? replicasOf(gatewayUrl, 'add') : undefined),
    20_000,
    `${replicas} replicas of add`,
  );
  await waitFor(async () => (await http(`${gatewayUrl}/v2/models/add/ready`)).status === 200, 20_000, 'add ready');
  return placed;
}

/** An invocation over NATS, as a producer on `nc`'s host sends it; resolves with the serving device and the sum. */
async function invokeOverNats(nc: NatsConnection): Promise<{ device: string | undefined; sum: number[] }> {
  const h = natsHeaders();
  h.set('Content-Type', 'application/json');
  // A client's reply inbox is subscribed on its first request; in a cluster its interest reaches the other
  // servers a moment later, so a reply that beats it is dropped (a NATS cluster's usual race, which
  // producers meet with a retry): up to three tries.
  let reply: Awaited<ReturnType<NatsConnection['request']>> | undefined;
  for (let attempt = 1; !reply; attempt++) {
    reply = await nc.request('epara.v1.invoke.add', JSON.stringify(ADD_BODY), { timeout: 4000, headers: h }).catch((e: Error) => {
      if (attempt >= 3 || !/timeout/i.test(e.message)) throw e;
      return undefined;
    });
  }
  const outputs = reply.json<{ outputs: { data: number[] }[] }>().outputs;
  return { device: reply.headers?.get(Header.Device), sum: outputs[0].data };
}

describeNetns('netns bed, cluster: three hosts, a three-node NATS cluster', () => {
  let bed: NetnsBed;
  let deviceOf: (host: string) => string;
  let producer: NatsConnection;

  beforeAll(async () => {
    const netns = await loadNetns();
    deviceOf = netns.deviceOf;
    bed = await netns.upCluster({ appEnv: APP_ENV });
    producer = await connect({ servers: bed.host('h3').natsUrl, name: 'netns-producer' });
  }, 60_000);

  afterAll(async () => {
    await producer?.close();
    await bed?.destroy(2000);
  });

  it('serves over HTTP, and over NATS from a producer on another host', async () => {
    const { gatewayUrl } = bed;
    // A deadline longer than the ≈1.5 s it takes to notice a cut host: a request waiting on h2 is retried on h3.
    expect(await deployAdd(gatewayUrl, 2, 5000)).toEqual([deviceOf('h2'), deviceOf('h3')]);
    const viaHttp = await postJson(`${gatewayUrl}/v1/functions/add/invoke`, ADD_BODY);
    expect(viaHttp.status).toBe(200);
    expect(viaHttp.json().outputs[0].data).toEqual(ADD_SUM);
    // The producer sits on h3's server, the gateway on h1's: the request crosses the cluster's routes.
    expect((await invokeOverNats(producer)).sum).toEqual(ADD_SUM);
  }, 30_000);

  it('keeps answering from h3 while the host of the other replica is cut off, and drops h2', async () => {
    const { gatewayUrl } = bed;
    const load = steadyLoad(gatewayUrl, 'add', ADD_BODY);
    let cutAt = 0;
    try {
      await new Promise((r) => setTimeout(r, 300));
      bed.cut('h2');
      cutAt = load.outcomes.length;
      await waitFor(
        async () =>
          !((await http(`${gatewayUrl}/v1/devices`)).json().devices as { device: string }[]).some((d) => d.device === deviceOf('h2')),
        10_000,
        'the gateway dropping the cut h2',
      );
      await new Promise((r) => setTimeout(r, 2000));
    } finally {
      await load.stop();
    }
    // Requests waiting on h2 when it was cut were retried on h3 once its liveness probes went unanswered.
    expect(load.outcomes.slice(cutAt).filter((s) => s !== 200)).toEqual([]);
    expect(load.outcomes.length - cutAt).toBeGreaterThan(10);
  }, 30_000);

  // Once failed now and then (2 of 10 runs) when h2's server hosted the consumers behind the apps' KV
  // watches: their mirror of epara_placement stayed stale for 10 s and more. KvMirror now restarts a
  // stalled watch (test/kv-mirror.e2e-spec.ts).
  it('moves the placement off the cut device', async () => {
    await waitFor(
      async () => {
        const placed = await replicasOf(bed.gatewayUrl, 'add');
        return placed.length > 0 && !placed.includes(deviceOf('h2'));
      },
      25_000,
      'placement off the cut h2',
    );
  }, 30_000);

  it('sees h2 heartbeat again once its link is restored', async () => {
    bed.restore('h2');
    await waitFor(
      async () =>
        ((await http(`${bed.gatewayUrl}/v1/devices`)).json().devices as { device: string }[]).some((d) => d.device === deviceOf('h2')),
      20_000,
      'h2 heartbeating again after the restore',
    );
  }, 30_000);
});

describeNetns('netns bed, edge: a hub and two leaf-node sites', () => {
  let bed: NetnsBed;
  let deviceOf: (host: string) => string;

  beforeAll(async () => {
    const netns = await loadNetns();
    deviceOf = netns.deviceOf;
    bed = await netns.upEdge({ appEnv: APP_ENV });
  }, 60_000);

  afterAll(async () => {
    await bed?.destroy(2000);
  });

  // The workers connect to the hub's server (scripts/lib/netns.mjs upEdge says why); the producer to a
  // leaf site's, so the request crosses the leaf connection to the worker in the other site's namespace.
  it("answers a request sent to one site's server with a worker on the other site", async () => {
    const [placed] = await deployAdd(bed.gatewayUrl, 1);
    const servingSite = ['h2', 'h3'].find((h) => deviceOf(h) === placed)!;
    const otherSite = servingSite === 'h2' ? 'h3' : 'h2';
    const producer = await connect({ servers: bed.host(otherSite).natsUrl, name: 'netns-edge-producer' });
    try {
      const reply = await invokeOverNats(producer);
      expect(reply.sum).toEqual(ADD_SUM);
      expect(reply.device).toBe(placed);
    } finally {
      await producer.close();
    }
  }, 30_000);
});
