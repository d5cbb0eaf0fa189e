import { createHash } from 'node:crypto';
import { INestApplication } from '@nestjs/common';
import { Kvm } from '@nats-io/kv';
import { Bucket, CreatedApiKey, Scope } from '@epara/contracts';
import { listeningPort } from '@epara/nats';
import { buildAdd } from '@epara/runtime';
import { startGateway } from '../apps/gateway/src/app';
import { GatewayRoute, RouteAccessCheck } from '../apps/gateway/src/auth/route-table';
import { loadGatewayConfig } from '../apps/gateway/src/config';
import { authHeader, startCluster, TestCluster, waitFor } from './support/cluster';
import { deployMultipart, http, httpAsIs, HttpReply, postJson } from './support/http';

const addBody = {
  inputs: [
    { name: 'a', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] },
    { name: 'b', shape: [1, 4], datatype: 'FP32', data: [1, 1, 1, 1] },
  ],
};

/** The scope a route needs; undefined for an open one. */
const scopeOf = (r: GatewayRoute): Scope | undefined => (r.access && !r.access.open ? r.access.scope : undefined);

/** Routes Swagger adds to Express itself (no Nest controller): the API description, open by design. */
const DOCS_ROUTES = /^GET \/docs([-/].*)?$/;

type ExpressLayer = { route?: { path: string; methods: Record<string, boolean> } };

/**
 * Break-in tests against a real cluster: every route of the gateway, as its router has them, is tried
 * without a key, with a key of the wrong scope and with the right one; function patterns, revocation
 * seen by a second gateway, what KV stores, and EPARA_AUTH=off.
 */
describe('gateway API keys: every route refuses what it should (real cluster)', () => {
  let c: TestCluster;
  const extraGateways: INestApplication[] = [];
  let routes: GatewayRoute[];
  const keys: Record<'read' | 'invoke' | 'cam' | 'readInvoke', CreatedApiKey> = {} as never;
  let camRequestId: string;
  let micRequestId: string;
  const served: number[] = [];
  let serving: Promise<void> | undefined;
  let stopServing = false;

  const url = (path: string) => `${c.gatewayUrl}${path}`;
  const bearer = (k: CreatedApiKey) => authHeader(k.key);
  const createKey = async (name: string, scopes: string[], ttl?: string, base = c.gatewayUrl): Promise<CreatedApiKey> => {
    const r = await postJson(`${base}/v1/keys`, { name, scopes, ...(ttl ? { ttl } : {}) });
    expect(r.status).toBe(201);
    return r.json();
  };
  const startExtraGateway = async (env: Record<string, string>) => {
    const g = await startGateway(loadGatewayConfig({ ...c.env, EPARA_GATEWAY_PORT: '0', EPARA_GATEWAY_HOST: '127.0.0.1', ...env }));
    extraGateways.push(g);
    return `http://127.0.0.1:${listeningPort(g)}`;
  };

  beforeAll(async () => {
    c = await startCluster({ workers: 1 });
    for (const name of ['cam-1', 'mic-1']) {
      expect((await deployMultipart(c.gatewayUrl, { name, kind: 'tensor', slo: { latencyMs: 2000 } }, buildAdd())).status).toBe(201);
      await waitFor(async () => (await http(url(`/v2/models/${name}/ready`))).status === 200, 30_000, `${name} ready`);
    }
    keys.read = await createKey('reader', ['read']);
    keys.invoke = await createKey('invoker', ['invoke']);
    keys.cam = await createKey('cameras', ['invoke:cam-*']);
    keys.readInvoke = await createKey('not admin', ['read', 'invoke']);
    camRequestId = (await postJson(url('/v1/functions/cam-1/async'), addBody)).json().id;
    micRequestId = (await postJson(url('/v1/functions/mic-1/async'), addBody)).json().id;
    routes = c.gateway.get(RouteAccessCheck).routes();
    // The platform keeps serving while keys come and go: one invocation every 50 ms for the whole file.
    serving = (async () => {
      while (!stopServing) {
        served.push((await postJson(url('/v1/functions/cam-1/invoke'), addBody)).status);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
  });
  afterAll(async () => {
    stopServing = true;
    await serving;
    for (const g of extraGateways) await g.close().catch(() => undefined);
    await c?.stop();
  });

  it('knows every route Express serves, and every one declares its access', () => {
    const stack = (c.gateway.getHttpAdapter().getInstance() as { router: { stack: ExpressLayer[] } }).router.stack;
    const expressRoutes = stack.flatMap((l) =>
      l.route ? Object.keys(l.route.methods).map((m) => `${m.toUpperCase()} ${l.route!.path}`) : [],
    );
    const declared = routes.map((r) => `${r.method} ${r.path}`);
    expect(expressRoutes.filter((r) => !DOCS_ROUTES.test(r)).sort()).toEqual([...new Set(declared)].sort());
    expect(routes.filter((r) => r.access === undefined)).toEqual([]);
    expect(declared).toEqual(expect.arrayContaining(['POST /v1/keys', 'GET /v1/keys', 'DELETE /v1/keys/:id', 'GET /metrics']));
  });

  /** A concrete request for a route: its parameters filled so that the right key reaches the handler. */
  const requestFor = (r: GatewayRoute): { path: string; init: RequestInit } => {
    const destructive = r.method === 'DELETE' || r.method === 'PATCH';
    const path = r.path
      .replace(':name', destructive ? 'no-such-fn' : 'cam-1')
      .replace(':id', r.path.startsWith('/v1/keys') ? '00000000' : camRequestId);
    const body =
      r.method === 'POST'
        ? JSON.stringify(r.path === '/v1/keys' ? { name: 'probe', scopes: ['read'] } : r.path === '/v1/functions' ? {} : addBody)
        : r.method === 'PATCH'
          ? '{}'
          : undefined;
    return { path, init: { method: r.method, ...(body ? { body, headers: { 'content-type': 'application/json' } } : {}) } };
  };
  /** Sends the route's request with exactly these key headers (none: no key at all). */
  const send = (r: GatewayRoute, keyHeaders: Record<string, string> = {}): Promise<HttpReply> => {
    const { path, init } = requestFor(r);
    return httpAsIs(url(path), { ...init, headers: { ...(init.headers as Record<string, string>), ...keyHeaders } });
  };
  const refusalMessage = (r: GatewayRoute, reply: HttpReply): string => {
    const body = reply.json();
    // Open Inference Protocol routes answer in that protocol's shape; the rest in Epara's.
    if (r.path.startsWith('/v2')) return body.error;
    expect(body.error.code).toBe(reply.status);
    return body.error.message;
  };

  it('answers 401 with WWW-Authenticate to every keyed route called without a key', async () => {
    for (const r of routes.filter((x) => scopeOf(x))) {
      const reply = await send(r);
      expect({ route: `${r.method} ${r.path}`, status: reply.status }).toEqual({ route: `${r.method} ${r.path}`, status: 401 });
      expect(reply.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(refusalMessage(r, reply)).toMatch(/needs an API key: send `Authorization: Bearer <key>` or `X-Api-Key: <key>`/);
    }
  });

  it('answers 401 to an unknown key, and 403 naming the missing scope to a key without it', async () => {
    const wrongFor = { [Scope.Admin]: keys.readInvoke, [Scope.Read]: keys.invoke, [Scope.Invoke]: keys.read };
    for (const r of routes.filter((x) => scopeOf(x))) {
      const scope = scopeOf(r)!;
      const route = `${r.method} ${r.path}`;
      const unknown = await send(r, { 'x-api-key': 'epk_0123abcd_' + 'x'.repeat(43) });
      expect({ route, status: unknown.status }).toEqual({ route, status: 401 });
      const reply = await send(r, bearer(wrongFor[scope]));
      expect({ route, status: reply.status }).toEqual({ route, status: 403 });
      expect(refusalMessage(r, reply)).toContain(`this needs scope ${scope}`);
    }
  });

  it('lets the right scope through on every route, and every open route without a key', async () => {
    const rightFor = { [Scope.Admin]: authHeader(), [Scope.Read]: bearer(keys.read), [Scope.Invoke]: bearer(keys.invoke) };
    for (const r of routes) {
      const route = `${r.method} ${r.path}`;
      const scope = scopeOf(r);
      const reply = await send(r, scope === undefined ? {} : rightFor[scope]);
      expect({ route, refused: [401, 403].includes(reply.status), serverError: reply.status >= 500 }).toEqual({
        route,
        refused: false,
        serverError: false,
      });
    }
    expect((await httpAsIs(url('/'))).body.toString()).toContain('localStorage');
    const metrics = (await http(url('/metrics'), { headers: bearer(keys.read) })).body.toString();
    expect(metrics).toContain('epara_gateway_requests_total');
    // The refusals of the tests before, counted by status
    expect(metrics).toMatch(/^epara_gateway_api_key_refusals_total\{[^}]*status="401"[^}]*\} [1-9]/m);
    expect(metrics).toMatch(/^epara_gateway_api_key_refusals_total\{[^}]*status="403"[^}]*\} [1-9]/m);
  });

  it('an invoke:cam-* key invokes cam-1 but not mic-1, on every invoke route', async () => {
    const cam = { ...bearer(keys.cam) };
    expect((await postJson(url('/v1/functions/cam-1/invoke'), addBody, cam)).status).toBe(200);
    expect((await postJson(url('/v2/models/cam-1/infer'), addBody, cam)).status).toBe(200);
    expect((await postJson(url('/v1/functions/cam-1/async'), addBody, cam)).status).toBe(202);
    expect((await http(url(`/v1/requests/${camRequestId}`), { headers: cam })).status).toBe(200);

    const mic = await postJson(url('/v1/functions/mic-1/invoke'), addBody, cam);
    expect(mic.status).toBe(403);
    expect(mic.json().error.message).toBe(
      `API key ${keys.cam.id} ("cameras") has scopes invoke:cam-*; this needs scope invoke for function "mic-1" (invoke, or invoke:<pattern> matching it)`,
    );
    expect((await postJson(url('/v2/models/mic-1/infer'), addBody, cam)).json()).toEqual({ error: expect.stringContaining('"mic-1"') });
    expect((await postJson(url('/v1/functions/mic-1/async'), addBody, cam)).status).toBe(403);
    expect((await http(url(`/v1/requests/${micRequestId}`), { headers: cam })).status).toBe(403);
    expect((await http(url('/v1/functions'), { headers: cam })).status).toBe(403);
    // The same key in X-Api-Key
    expect((await postJson(url('/v1/functions/cam-1/invoke'), addBody, { 'x-api-key': keys.cam.key })).status).toBe(200);
  });

  it('a key revoked on one gateway stops working on a second gateway sharing the NATS', async () => {
    const secondUrl = await startExtraGateway({});
    const k = await createKey('short-lived', ['read']);
    await waitFor(
      async () => (await http(`${secondUrl}/v1/functions`, { headers: bearer(k) })).status === 200,
      5_000,
      'key seen by gateway 2',
    );

    expect((await http(url(`/v1/keys/${k.id}`), { method: 'DELETE' })).status).toBe(204);
    expect((await http(url('/v1/functions'), { headers: bearer(k) })).status).toBe(401);
    const revokedAt = Date.now();
    await waitFor(async () => (await http(`${secondUrl}/v1/functions`, { headers: bearer(k) })).status === 401, 2_000, 'gateway 2 refuses');
    expect(Date.now() - revokedAt).toBeLessThan(2_000);
    expect((await http(url('/v1/keys'))).json().keys.map((x: { id: string }) => x.id)).not.toContain(k.id);
    expect((await http(url(`/v1/keys/${k.id}`), { method: 'DELETE' })).status).toBe(404);
  });

  it('stores keys hashed: the KV value holds the SHA-256, never the key, and listings show neither', async () => {
    const kv = await new Kvm(c.client).open(Bucket.ApiKeys);
    const entry = await kv.get(keys.cam.id);
    const stored = entry!.string();
    const secret = keys.cam.key.slice(`epk_${keys.cam.id}_`.length);
    expect(stored).not.toContain(secret);
    expect(JSON.parse(stored)).toEqual({
      id: keys.cam.id,
      name: 'cameras',
      scopes: ['invoke:cam-*'],
      createdAt: keys.cam.createdAt,
      sha256: createHash('sha256').update(keys.cam.key).digest('hex'),
    });
    const listed = (await http(url('/v1/keys'))).body.toString();
    expect(listed).not.toContain(secret);
    expect(listed).not.toContain('sha256');
  });

  it('refuses an expired key with a message saying so', async () => {
    const k = await createKey('one second', ['read'], '1s');
    expect((await http(url('/v1/functions'), { headers: bearer(k) })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1_100));
    const reply = await http(url('/v1/functions'), { headers: bearer(k) });
    expect(reply.status).toBe(401);
    expect(reply.json().error.message).toMatch(new RegExp(`^API key ${k.id} \\("one second"\\) expired at `));
    expect((await http(url('/v1/keys'))).json().keys.find((x: { id: string }) => x.id === k.id)).toMatchObject({ expired: true });
  });

  it('declares the key schemes in the OpenAPI document and marks each operation', async () => {
    const doc = (await httpAsIs(url('/docs-json'))).json();
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['api-key', 'bearer']);
    expect(doc.components.securitySchemes['api-key']).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-Api-Key' });
    expect(doc.paths['/v1/functions'].post).toMatchObject({ 'x-epara-scope': 'admin', security: [{ bearer: [] }, { 'api-key': [] }] });
    expect(doc.paths['/v1/functions/{name}/invoke'].post['x-epara-scope']).toBe('invoke');
    expect(doc.paths['/health'].get.security).toEqual([]);
  });

  it('with EPARA_AUTH=off a gateway lets requests through without a key', async () => {
    const openUrl = await startExtraGateway({ EPARA_AUTH: 'off', EPARA_ADMIN_KEY: '' });
    expect((await httpAsIs(`${openUrl}/v1/functions`)).status).toBe(200);
    const invoked = await httpAsIs(`${openUrl}/v1/functions/mic-1/invoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(addBody),
    });
    expect(invoked.status).toBe(200);
  });

  it('kept serving throughout', () => {
    expect(served.length).toBeGreaterThan(10);
    expect(served.filter((s) => s !== 200)).toEqual([]);
  });
});
