import { readFileSync } from 'node:fs';
import { request as httpsRequestRaw } from 'node:https';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, headers as natsHeaders, NatsConnection, PermissionViolationError } from '@nats-io/transport-node';
import { Bucket, subjects } from '@epara/contracts';
import { askMicroServices, classifyNatsError, NatsFailure, natsConnectionSecurity } from '@epara/nats';
import { buildAdd } from '@epara/runtime';
import { run } from '../apps/cli/src/main';
import { authHeader, startCluster, TestCluster, waitFor } from './support/cluster';
import { deployMultipart, http, postJson } from './support/http';

const addBody = (a: number[], b: number[]) =>
  JSON.stringify({
    inputs: [
      { name: 'a', shape: [1, 4], datatype: 'FP32', data: a },
      { name: 'b', shape: [1, 4], datatype: 'FP32', data: b },
    ],
  });
const jsonHeaders = () => {
  const h = natsHeaders();
  h.set('Content-Type', 'application/json');
  return h;
};

/** The permission violations the server reported to `nc`, as nats.js passes them on. */
function violations(nc: NatsConnection): PermissionViolationError[] {
  const seen: PermissionViolationError[] = [];
  (async () => {
    for await (const s of nc.status()) if (s.type === 'error' && s.error instanceof PermissionViolationError) seen.push(s.error);
  })().catch(() => undefined);
  return seen;
}

/** The call is refused by the server's authorization (nats.js may wrap the violation in a RequestError). */
async function expectRefused(call: Promise<unknown>): Promise<void> {
  const outcome = await call.then(
    () => 'done',
    (e: unknown) => classifyNatsError(e),
  );
  expect(outcome).toBe(NatsFailure.PermissionDenied);
}

async function deployAdd(c: TestCluster): Promise<void> {
  const r = await deployMultipart(c.gatewayUrl, { name: 'add', kind: 'tensor', slo: { latencyMs: 2000 } }, buildAdd());
  expect(r.status).toBe(201);
  await waitFor(async () => (await http(`${c.gatewayUrl}/v2/models/add/ready`)).status === 200, 30_000, 'add ready');
}

async function invokeAdd(nc: NatsConnection): Promise<number[]> {
  const reply = await nc.request(subjects.invoke('add'), addBody([1, 2, 3, 4], [1, 1, 1, 1]), { timeout: 10_000, headers: jsonHeaders() });
  expect(reply.headers?.get('Nats-Service-Error')).toBeFalsy();
  return reply.json<{ outputs: { name: string; data: number[] }[] }>().outputs.find((o) => o.name === 'sum')!.data;
}

describe('NATS authorization: the apps with their role users, producers and operators held to theirs', () => {
  let c: TestCluster;
  let producer: NatsConnection;
  let producerRefusals: PermissionViolationError[];

  beforeAll(async () => {
    c = await startCluster({ workers: 1, security: { auth: true, producers: ['camera-2'] } });
    await deployAdd(c);
    producer = await c.nats.connect('producer');
    producerRefusals = violations(producer);
  });
  afterAll(async () => {
    await producer?.close();
    await c?.stop();
  });

  it('lets a producer invoke a deployed function and get the reply on its own inbox (direct from the worker)', async () => {
    expect(await invokeAdd(producer)).toEqual([2, 3, 4, 5]);
  });

  it('refuses a producer KV puts and deletes in epara_functions and epara_placement, and the platform keeps serving', async () => {
    const js = jetstream(producer);
    for (const [subject, data] of [
      [`$KV.${Bucket.Functions}.add`, '{"name":"add","evil":true}'],
      [`$KV.${Bucket.Placement}.cpu-0`, '{"assignments":[]}'],
    ]) {
      await expectRefused(js.publish(subject, data, { timeout: 2000 }));
    }
    // A delete is a message with a KV-Operation header on the key's subject; a purge goes through the JetStream API.
    const del = natsHeaders();
    del.set('KV-Operation', 'DEL');
    await expectRefused(js.publish(`$KV.${Bucket.Placement}.cpu-0`, '', { headers: del, timeout: 2000 }));
    await expectRefused(producer.request(`$JS.API.STREAM.PURGE.KV_${Bucket.Functions}`, '{}', { timeout: 2000 }));
    // The bucket cannot even be opened (its stream info is refused).
    await expect(new Kvm(producer).open(Bucket.Functions).then((kv) => kv.delete('add'))).rejects.toThrow();
    await waitFor(() => producerRefusals.some((v) => v.subject === `$KV.${Bucket.Functions}.add`), 5000, 'the KV refusal reported');
    expect((await http(`${c.gatewayUrl}/v1/functions/add`)).status).toBe(200);
    expect(await invokeAdd(producer)).toEqual([2, 3, 4, 5]);
  });

  it('refuses a producer heartbeats and events, and a fake heartbeat makes no device appear', async () => {
    const fake = {
      device: 'ghost-0',
      slot: 'cuda:0',
      host: 'nowhere',
      provider: 'cuda',
      memoryBytes: 8e10,
      functions: [],
      queue: 0,
      at: Date.now(),
    };
    const operator = await c.nats.connect('operator');
    const operatorRefusals = violations(operator);
    for (const nc of [producer, operator]) {
      for (let i = 0; i < 5; i++) nc.publish(subjects.state('ghost-0'), JSON.stringify({ ...fake, at: Date.now() }));
      nc.publish(subjects.event('device-joined'), JSON.stringify({ device: 'ghost-0' }));
      await nc.flush();
    }
    await waitFor(() => producerRefusals.some((v) => v.subject === subjects.state('ghost-0')), 5000, 'the producer’s heartbeat refused');
    await waitFor(() => operatorRefusals.some((v) => v.subject === subjects.state('ghost-0')), 5000, 'the operator’s heartbeat refused');
    expect(producerRefusals.some((v) => v.subject === subjects.event('device-joined'))).toBe(true);
    await new Promise((r) => setTimeout(r, 1500)); // more than a placement period (1 s in tests)
    const devices = (await http(`${c.gatewayUrl}/v1/devices`)).json();
    expect(JSON.stringify(devices)).not.toContain('ghost-0');
    expect(JSON.stringify((await http(`${c.gatewayUrl}/v1/placement`)).json())).not.toContain('ghost-0');
    await operator.close();
  });

  it('refuses a producer subscriptions to epara.v1.> and to another producer’s inbox', async () => {
    const camera2 = await c.nats.connect('camera-2');
    try {
      for (const subject of ['epara.v1.>', `${c.nats.credentials!.user('camera-2').inboxPrefix}.>`, '_INBOX.>']) {
        const sub = producer.subscribe(subject);
        sub.closed.catch(() => undefined); // the refusal closes it with the error
        await producer.flush();
        await waitFor(
          () => producerRefusals.some((v) => v.operation === 'subscription' && v.subject === subject),
          5000,
          `subscribe ${subject} refused`,
        );
      }
      // camera-2's own requests still get their replies, unseen by the producer.
      expect(await invokeAdd(camera2)).toEqual([2, 3, 4, 5]);
    } finally {
      await camera2.close();
    }
    expect(await invokeAdd(producer)).toEqual([2, 3, 4, 5]);
  });

  it('lets an operator list services and read KV, and refuses it a deploy (KV put)', async () => {
    const operator = await c.nats.connect('operator');
    try {
      const services = await askMicroServices(operator, 'info', { name: 'epara-worker', maxWaitMs: 2000 });
      expect(services.length).toBe(1);
      const kv = await new Kvm(operator).open(Bucket.Functions);
      expect((await kv.get('add'))?.json<{ name: string }>().name).toBe('add');
      await expectRefused(kv.put('evil', '{"name":"evil"}'));
      expect((await http(`${c.gatewayUrl}/v1/functions/evil`)).status).toBe(404);
    } finally {
      await operator.close();
    }
  });

  it('serves the CLI with the operator credential and names the subject and user it refuses a producer', async () => {
    const cli = async (...argv: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await run(['--nats', c.nats.url, ...argv], { out: (l) => out.push(l), err: (l) => err.push(l), env: {} });
      return { code, out: out.join('\n'), err: err.join('\n') };
    };
    const as = (user: string) => [
      '--nkey',
      c.nats.credentials!.user(user).seedFile,
      '--inbox-prefix',
      c.nats.credentials!.user(user).inboxPrefix,
    ];
    const ls = await cli(...as('operator'), 'kv', 'ls');
    expect(ls).toMatchObject({ code: 0, err: '' });
    expect(ls.out).toContain(Bucket.Functions);
    const refused = await cli(...as('producer'), 'kv', 'get', Bucket.Functions, 'add');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/NATS refused publish to "\$JS\.API\.INFO" for nkey U[A-Z2-7]{55} \(.*producer\.nk\)/);
    const wrongInbox = await cli('--nkey', c.nats.credentials!.user('operator').seedFile, 'micro', 'ls');
    expect(wrongInbox.err).toMatch(/NATS_INBOX_PREFIX/);
  });

  it('refuses a connection without credentials', async () => {
    await expect(connect({ servers: c.nats.url, maxReconnectAttempts: 0, reconnect: false })).rejects.toThrow(/authorization violation/i);
  });

  it('still serves HTTP invocations after all of it', async () => {
    const r = await postJson(`${c.gatewayUrl}/v1/functions/add/invoke`, JSON.parse(addBody([1, 2, 3, 4], [2, 2, 2, 2])));
    expect(r.status).toBe(200);
  });
});

/** An HTTPS request that trusts only `ca` (fetch takes extra CAs only from NODE_EXTRA_CA_CERTS at start). */
function httpsRequest(url: string, ca: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequestRaw(
      url,
      {
        ca: readFileSync(ca),
        method: body ? 'POST' : 'GET',
        headers: { ...authHeader(), ...(body ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('NATS over mutual TLS and gateway HTTPS: certificates from scripts/gen-tls.mjs', () => {
  let c: TestCluster;

  beforeAll(async () => {
    // Mutual TLS: every app shows the client certificate too.
    c = await startCluster({ workers: 1, security: { auth: true, tls: 'mutual', https: true } });
    const ca = c.nats.tls!.ca;
    const deployed = await new Promise<number>((resolve, reject) => {
      const req = httpsRequestRaw(
        `${c.gatewayUrl}/v1/functions`,
        { ca: readFileSync(ca), method: 'POST', headers: authHeader() },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      const boundary = 'epara-test-boundary';
      req.setHeader('content-type', `multipart/form-data; boundary=${boundary}`);
      const spec = JSON.stringify({ name: 'add', kind: 'tensor', slo: { latencyMs: 2000 } });
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="spec"\r\n\r\n${spec}\r\n`);
      req.write(
        `--${boundary}\r\nContent-Disposition: form-data; name="model"; filename="model.onnx"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      );
      req.write(Buffer.from(buildAdd()));
      req.end(`\r\n--${boundary}--\r\n`);
    });
    expect(deployed).toBe(201);
    await waitFor(async () => (await httpsRequest(`${c.gatewayUrl}/v2/models/add/ready`, ca)).status === 200, 30_000, 'add ready');
  });
  afterAll(async () => {
    await c?.stop();
  });

  it('serves a producer’s request with every app connected over TLS', async () => {
    const producer = await c.nats.connect('producer');
    try {
      expect(producer.info?.tls_required).toBe(true);
      expect(await invokeAdd(producer)).toEqual([2, 3, 4, 5]);
    } finally {
      await producer.close();
    }
  });

  it('answers HTTPS with the local CA’s certificate', async () => {
    expect(c.gatewayUrl).toMatch(/^https:/);
    const r = await httpsRequest(`${c.gatewayUrl}/v1/functions/add/invoke`, c.nats.tls!.ca, addBody([1, 2, 3, 4], [1, 1, 1, 1]));
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text).outputs.find((o: { name: string }) => o.name === 'sum').data).toEqual([2, 3, 4, 5]);
  });

  it('refuses a client that trusts the CA but shows no client certificate', async () => {
    const { seedFile, inboxPrefix } = c.nats.credentials!.user('producer');
    const auth = natsConnectionSecurity({ nkeySeed: seedFile, inboxPrefix, tlsCa: c.nats.tls!.ca }).options;
    const attempt = connect({ ...auth, servers: c.nats.url, maxReconnectAttempts: 0, reconnect: false, timeout: 3000 }).then((nc) =>
      nc.request(subjects.invoke('add'), addBody([1, 2, 3, 4], [1, 1, 1, 1]), { timeout: 2000 }).finally(() => nc.close()),
    );
    await expect(attempt).rejects.toThrow();
  });

  it('refuses a plain client', async () => {
    const { seedFile, inboxPrefix } = c.nats.credentials!.user('producer');
    const auth = natsConnectionSecurity({ nkeySeed: seedFile, inboxPrefix }).options;
    await expect(connect({ ...auth, servers: c.nats.url, maxReconnectAttempts: 0, reconnect: false, timeout: 3000 })).rejects.toThrow();
  });
});
