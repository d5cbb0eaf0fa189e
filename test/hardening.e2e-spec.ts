import { randomBytes } from 'node:crypto';
import { headers as natsHeaders, Msg } from '@nats-io/transport-node';
import { buildAdd } from '@epara/runtime';
import { startCluster, TestCluster, waitFor } from './support/cluster';
import { CallbackHook, deployMultipart, http, postJson, startCallbackHook } from './support/http';
import { AppProcess } from './support/processes';

const body = {
  inputs: [
    { name: 'a', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] },
    { name: 'b', shape: [1, 4], datatype: 'FP32', data: [10, 10, 10, 10] },
  ],
};
const bodyBytes = Buffer.from(JSON.stringify(body));
const MiB = 1024 * 1024;

const code = (m: Msg) => m.headers?.get('Nats-Service-Error-Code') || '200';
const jsonHeaders = (extra: Record<string, string> = {}) => {
  const h = natsHeaders();
  h.set('Content-Type', 'application/json');
  for (const [k, v] of Object.entries(extra)) h.set(k, v);
  return h;
};

/** Runs `task` for each item, `width` at a time. */
async function inBatches<T, R>(items: T[], width: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += width) out.push(...(await Promise.all(items.slice(i, i + width).map(task))));
  return out;
}

/**
 * Inputs an attacker would send: an oversized model, callbacks into the gateway's own network,
 * malformed numeric headers, floods of unknown function names. Each is refused with a clear error,
 * and the platform goes on serving a real function after each.
 */
describe('input hardening', () => {
  let c: TestCluster;
  let hook: CallbackHook;
  let hookHost: string;

  beforeAll(async () => {
    hook = await startCallbackHook();
    hookHost = hook.host;
    c = await startCluster({ workers: 1, env: { EPARA_MAX_MODEL_MB: '1', EPARA_CALLBACK_ALLOW_HOSTS: hookHost } });
    expect((await deployMultipart(c.gatewayUrl, { name: 'add', kind: 'tensor', slo: { latencyMs: 5000 } }, buildAdd())).status).toBe(201);
    await waitFor(async () => (await http(`${c.gatewayUrl}/v2/models/add/ready`)).status === 200, 30_000, 'add ready');
  });
  afterAll(async () => {
    hook?.close();
    await c?.stop();
  });

  /** The platform still serves: `add` answers over HTTP and NATS. */
  async function stillServes(): Promise<void> {
    const r = await postJson(`${c.gatewayUrl}/v1/functions/add/invoke`, body);
    expect(r.status).toBe(200);
    expect(r.json().outputs.find((o: { name: string }) => o.name === 'sum').data).toEqual([11, 12, 13, 14]);
    expect(code(await c.client.request('epara.v1.invoke.add', bodyBytes, { timeout: 10_000, headers: jsonHeaders() }))).toBe('200');
  }

  describe('EPARA_MAX_MODEL_MB', () => {
    const spec = (name: string) => ({ name, kind: 'tensor', slo: { latencyMs: 100 } });

    it('refuses a 5.3 MB upload under a 1 MiB limit with 413 naming the limit and the size, before reading it', async () => {
      const r = await deployMultipart(c.gatewayUrl, spec('big'), randomBytes(5_300_000));
      expect(r.status).toBe(413);
      const { error } = r.json();
      expect(error.message).toMatch(
        /^the upload is \d+ bytes \(5\.1 MiB\), over this gateway's model limit of 1048576 bytes \(EPARA_MAX_MODEL_MB=1\); nothing was deployed$/,
      );
      expect(error.details.limitBytes).toBe(MiB);
      expect(error.details.sizeBytes).toBeGreaterThan(5_300_000);
      expect((await http(`${c.gatewayUrl}/v1/functions/big`)).status).toBe(404);
      await stillServes();
    });

    it('stops a model file just over the limit while it streams (multer limits.fileSize)', async () => {
      const r = await deployMultipart(c.gatewayUrl, spec('big2'), randomBytes(MiB + 1));
      expect(r.status).toBe(413);
      expect(r.json().error.message).toMatch(/over this gateway's model limit of 1048576 bytes \(EPARA_MAX_MODEL_MB=1\)/);
      expect((await http(`${c.gatewayUrl}/v1/functions/big2`)).status).toBe(404);
      await stillServes();
    });
  });

  describe('X-Callback-Url', () => {
    const submit = (callback: string, id: string) =>
      postJson(`${c.gatewayUrl}/v1/functions/add/async`, body, { 'x-callback-url': callback, 'epara-request-id': id });

    it.each([
      ['http://127.0.0.1:18999/internal/admin', 'host 127.0.0.1:18999 is not in EPARA_CALLBACK_ALLOW_HOSTS'],
      ['file:///etc/passwd', 'only http: and https: callbacks are allowed, not file:'],
      ['http://169.254.169.254/latest/meta-data/', 'host 169.254.169.254:80 is not in EPARA_CALLBACK_ALLOW_HOSTS'],
      ['http://localhost:PORT/done', 'host localhost:PORT is not in EPARA_CALLBACK_ALLOW_HOSTS'],
    ])('%s → 400, the async request is not accepted', async (url, message) => {
      const id = `refused-${randomBytes(4).toString('hex')}`;
      const port = hookHost.split(':')[1];
      const r = await submit(url.replace('PORT', port), id);
      expect(r.status).toBe(400);
      expect(r.json().error.message).toContain(`X-Callback-Url refused: ${message.replace('PORT', port)}`);
      expect((await http(`${c.gatewayUrl}/v1/requests/${id}`)).status).toBe(404);
      await stillServes();
    });

    it('calls back a host on the allow-list', async () => {
      const r = await submit(`http://${hookHost}/done`, 'allowed-callback');
      expect(r.status).toBe(202);
      await waitFor(() => hook.bodies.some((x) => (x as { id: string }).id === 'allowed-callback'), 20_000, 'callback');
    });
  });

  describe('numeric request headers', () => {
    it.each([
      [
        'Epara-Deadline',
        'soon',
        /^Epara-Deadline must be an integer of at least 1 \(epoch milliseconds, e\.g\. Date\.now\(\) \+ 500\); got "soon"$/,
      ],
      ['Epara-Deadline', '12abc', /^Epara-Deadline must be/],
      ['Epara-Priority', 'high', /^Epara-Priority must be an integer/],
    ])('HTTP %s: %s → 400', async (header, value, message) => {
      const r = await postJson(`${c.gatewayUrl}/v1/functions/add/invoke`, body, { [header]: value });
      expect(r.status).toBe(400);
      expect(r.json().error.message).toMatch(message);
      await stillServes();
    });

    it('NATS: a malformed Epara-Deadline is an error reply with code 400, at the gateway and at the worker', async () => {
      const viaGateway = await c.client.request('epara.v1.invoke.add', bodyBytes, {
        timeout: 5000,
        headers: jsonHeaders({ 'Epara-Deadline': 'soon' }),
      });
      expect(code(viaGateway)).toBe('400');
      expect(viaGateway.headers?.get('Nats-Service-Error')).toMatch(/^Epara-Deadline must be/);
      const mode = (await http(`${c.gatewayUrl}/v1/functions/add`)).json().category.mode;
      const viaWorker = await c.client.request(`epara.v1.${mode}.add`, bodyBytes, {
        timeout: 5000,
        headers: jsonHeaders({ 'Epara-Deadline': '1.5' }),
      });
      expect(code(viaWorker)).toBe('400');
      expect(viaWorker.headers?.get('Nats-Service-Error')).toMatch(/^Epara-Deadline must be/);
      await stillServes();
    });
  });

  describe('metric cardinality', () => {
    const metrics = async () => (await http(`${c.gatewayUrl}/metrics`)).body.toString();
    const seriesWithFunction = (text: string) => text.split('\n').filter((l) => l.includes('function="')).length;

    it('counts 1,000 unknown names over HTTP and 1,000 over NATS under one label: 404 each, no series per name', async () => {
      const names = (n: number) => Array.from({ length: n }, () => `nope-${randomBytes(6).toString('hex')}`);
      const overHttp = (fn: string) => postJson(`${c.gatewayUrl}/v1/functions/${fn}/invoke`, body).then((r) => r.status);
      const overNats = (fn: string) =>
        c.client.request(`epara.v1.invoke.${fn}`, bodyBytes, { timeout: 10_000, headers: jsonHeaders() }).then((m) => Number(code(m)));
      // One of each first: the `_unknown` series exist from then on.
      await overHttp('nope-warm-up');
      await overNats('nope-warm-up');
      const before = await metrics();
      const httpNames = names(1000);
      const natsNames = names(1000);
      expect(new Set(await inBatches(httpNames, 50, overHttp))).toEqual(new Set([404]));
      expect(new Set(await inBatches(natsNames, 100, overNats))).toEqual(new Set([404]));
      const after = await metrics();
      expect(seriesWithFunction(after)).toBe(seriesWithFunction(before));
      expect([...httpNames, ...natsNames].filter((n) => after.includes(n))).toEqual([]);
      expect(after).toMatch(/epara_gateway_requests_total\{function="_unknown",transport="http",outcome="404"[^}]*\} 1001/);
      expect(after).toMatch(/epara_gateway_requests_total\{function="_unknown",transport="nats",outcome="404"[^}]*\} 1001/);
      // Counters grow digits; the default process metrics move a little. Before the fix: +2 MB.
      expect(after.length - before.length).toBeLessThan(8 * 1024);
      await stillServes();
    });

    it("removes a deleted function's series", async () => {
      expect((await deployMultipart(c.gatewayUrl, { name: 'doomed', kind: 'tensor', slo: { latencyMs: 5000 } }, buildAdd())).status).toBe(
        201,
      );
      await waitFor(async () => (await http(`${c.gatewayUrl}/v2/models/doomed/ready`)).status === 200, 30_000, 'doomed ready');
      expect((await postJson(`${c.gatewayUrl}/v1/functions/doomed/invoke`, body)).status).toBe(200);
      expect(await metrics()).toContain('function="doomed"');
      expect((await http(`${c.gatewayUrl}/v1/functions/doomed`, { method: 'DELETE' })).status).toBe(204);
      await waitFor(async () => !(await metrics()).includes('function="doomed"'), 10_000, 'doomed series removed');
      await stillServes();
    });
  });

  it('a gateway whose environment has a typo refuses to start, naming the variable and what it accepts', async () => {
    const gateway = new AppProcess('gateway', { NATS_URL: c.nats.url, EPARA_GATEWAY_PORT: '0', EPARA_DIRECT_REPLY: 'ture' });
    expect(await gateway.exited).toBe(1);
    expect(gateway.output).toContain(
      'gateway failed to start: invalid environment: EPARA_DIRECT_REPLY="ture" (EPARA_DIRECT_REPLY must be one of 1/true/on/yes/0/false/off/no (any case))',
    );
  });
});
