import { deployMultipart, http, postJson } from './support/http';
import { ProcessCluster } from './support/process-cluster';

type Operation = {
  security?: unknown[];
  requestBody?: { content: Record<string, { example?: unknown; examples?: Record<string, unknown> }> };
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string }; example?: unknown }> }>;
  'x-epara-scope'?: string;
};

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const ERROR_BODY = '#/components/schemas/ErrorBodySchema';
const OPEN_INFERENCE_ERROR = '#/components/schemas/OpenInferenceErrorSchema';

/**
 * The OpenAPI document of the built gateway (the Swagger compiler plugin reads the DTOs at build time,
 * so this runs the gateway from dist/ as users do), and the validation it documents, over HTTP.
 */
describe('OpenAPI document and body validation (gateway from dist/)', () => {
  let c: ProcessCluster;
  let doc: { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, any> } };
  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, item]) =>
      METHODS.filter((m) => item[m]).map((method) => ({ path, method, op: item[method] as Operation })),
    );

  beforeAll(async () => {
    c = await ProcessCluster.start();
    doc = (await http(`${c.gatewayUrl}/docs-json`)).json();
  }, 60_000);
  afterAll(async () => {
    await c?.stop();
  });

  it('describes the deploy spec and the patch with their fields, types and limits', () => {
    const schemas = doc.components.schemas;
    expect(schemas.DeployFunctionDto.required).toEqual(expect.arrayContaining(['name', 'kind', 'slo']));
    expect(schemas.DeployFunctionDto.properties.kind.enum).toEqual(expect.arrayContaining(['tensor', 'text-detection']));
    expect(schemas.SloDto.properties.latencyMs).toMatchObject({ minimum: 1, maximum: 600000 });
    expect(schemas.HintsDto.properties.replicas).toMatchObject({ minimum: 1 });
    const deploy = doc.paths['/v1/functions'].post.requestBody!.content;
    expect(Object.keys(deploy)).toEqual(expect.arrayContaining(['multipart/form-data', 'application/json']));
    expect((doc.paths['/v1/functions/{name}'].patch.requestBody!.content['application/json'] as any).schema.$ref).toBe(
      '#/components/schemas/PatchFunctionDto',
    );
    expect(schemas.CreateApiKeyDto.required).toEqual(['name', 'scopes']);
  });

  it('lists the errors of every operation, each with the error body of its protocol', () => {
    const missing: string[] = [];
    for (const { path, method, op } of operations()) {
      const expected = new Set<string>();
      if (op.security?.length) ['401', '403'].forEach((s) => expected.add(s));
      if (/\{(name|id)\}/.test(path)) expected.add('404');
      if (op.requestBody) expected.add('400');
      if (op['x-epara-scope'] === 'invoke' && op.requestBody) expected.add('413');
      // A synchronous invocation runs now: it can be shed, find no capacity, or miss its deadline.
      if (op['x-epara-scope'] === 'invoke' && op.requestBody && op.responses['200']) ['429', '503', '504'].forEach((s) => expected.add(s));
      for (const status of expected) if (!op.responses[status]) missing.push(`${method.toUpperCase()} ${path} ${status}`);
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400 || (status === '503' && path.endsWith('/ready'))) continue; // readiness answers a status document
        const ref = response.content?.['application/json']?.schema?.$ref;
        const shape = path.startsWith('/v2') ? OPEN_INFERENCE_ERROR : ERROR_BODY;
        if (ref !== shape || response.content?.['application/json']?.example === undefined)
          missing.push(`${method.toUpperCase()} ${path} ${status}: schema ${ref}`);
      }
    }
    expect(missing).toEqual([]);
    // The guarded routes are many; the check above must have seen them.
    expect(operations().filter(({ op }) => op.security?.length).length).toBeGreaterThan(15);
  });

  it('gives deploy, invoke, Open Inference infer, keys and the function list request and response examples', () => {
    const deploy = doc.paths['/v1/functions'].post;
    expect(Object.keys(deploy.requestBody!.content['application/json'].examples ?? {})).toEqual(['bundled']);
    expect(Object.keys(deploy.requestBody!.content['multipart/form-data'].examples ?? {})).toEqual(['upload']);
    expect(deploy.responses['201'].content!['application/json'].example).toMatchObject({ name: 'add', category: { mode: 'dp' } });
    for (const path of ['/v1/functions/{name}/invoke', '/v2/models/{name}/infer']) {
      const op = doc.paths[path].post;
      expect(op.requestBody!.content['application/json']).toMatchObject({
        schema: { $ref: '#/components/schemas/InferenceRequestSchema' },
        example: { inputs: expect.any(Array) },
      });
      expect(Object.keys(op.requestBody!.content)).toEqual(expect.arrayContaining(['application/msgpack', 'image/png']));
      expect(op.responses['200'].content!['application/json']).toMatchObject({
        schema: { $ref: '#/components/schemas/InferenceResponseSchema' },
        example: { outputs: expect.any(Array) },
      });
    }
    expect(Object.keys(doc.paths['/v2/models/{name}/infer'].post.requestBody!.content)).toContain('application/octet-stream');
    expect(doc.paths['/v1/keys'].post.requestBody!.content['application/json'].examples).toBeDefined();
    expect(doc.paths['/v1/keys'].post.responses['201'].content!['application/json'].example).toMatchObject({ key: expect.any(String) });
    expect(doc.paths['/v1/functions'].get.responses['200'].content!['application/json'].example).toMatchObject({
      functions: expect.any(Array),
    });
  });

  describe('a malformed deploy spec is a 400 naming the field and what it allows', () => {
    const ok = { name: 'add', kind: 'tensor', slo: { latencyMs: 50 }, model: { bundled: 'add' } };
    it.each<[string, unknown, string, RegExp]>([
      ['a wrong type', { ...ok, slo: { latencyMs: '50' } }, 'slo.latencyMs', /slo\.latencyMs must be a number of milliseconds/],
      ['a nested wrong type', { ...ok, hints: { maxBatchSize: 'big' } }, 'hints.maxBatchSize', /hints\.maxBatchSize must be an integer/],
      [
        'an unknown field',
        { ...ok, replicas: 2 },
        'replicas',
        /unknown field replicas: allowed fields are name, kind, slo, model, models, description, hints, expected/,
      ],
      [
        'an unknown nested field',
        { ...ok, slo: { latencyMs: 50, p99: 80 } },
        'slo.p99',
        /unknown field slo\.p99: allowed fields are latencyMs, tpotMs/,
      ],
      ['no slo', { name: 'add', kind: 'tensor' }, 'slo', /slo is required, e\.g\. \{"latencyMs": 100\}/],
      ['a kind that does not exist', { ...ok, kind: 'video' }, 'kind', /kind must be one of: tensor, text-detection/],
    ])('%s, as JSON and as a multipart field alike', async (_, spec, field, message) => {
      for (const r of [await postJson(`${c.gatewayUrl}/v1/functions`, spec), await deployMultipart(c.gatewayUrl, spec)]) {
        expect(r.status).toBe(400);
        const error = r.json().error;
        expect(error.message).toMatch(/^invalid spec: /);
        expect(error.message).toMatch(message);
        expect(error.details.fields).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      }
    });
  });

  it('validates JSON bodies with the global pipe: a patch, a key request, and a body that is not an object', async () => {
    const patch = await http(`${c.gatewayUrl}/v1/functions/add`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hints: { maxBatchSize: 4096 }, slo: 40 }),
    });
    expect(patch.status).toBe(400);
    expect(patch.json().error).toMatchObject({
      code: 400,
      message: 'invalid body: slo must be an object, e.g. {"latencyMs": 100}; hints.maxBatchSize must not be greater than 1024',
      details: { fields: [{ field: 'slo' }, { field: 'hints.maxBatchSize' }].map(expect.objectContaining) },
    });

    const key = await postJson(`${c.gatewayUrl}/v1/keys`, { name: 'ops', scopes: ['read'], role: 'admin' });
    expect(key.status).toBe(400);
    expect(key.json().error.message).toBe('invalid body: unknown field role: allowed fields are name, scopes, ttl');
    const scope = await postJson(`${c.gatewayUrl}/v1/keys`, { name: 'ops', scopes: ['write'] });
    expect(scope.json().error.message).toMatch(/^invalid body: scopes: scope "write" is not one of admin, read, invoke, invoke:<pattern>/);

    const array = await http(`${c.gatewayUrl}/v1/functions/add`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: '[]',
    });
    expect(array.status).toBe(400);
    expect(array.json().error.message).toBe('the body must be a JSON object, sent with Content-Type: application/json');
  });

  it('keeps the Open Inference Protocol error shape on /v2', async () => {
    const r = await postJson(`${c.gatewayUrl}/v2/models/nope/infer`, { inputs: [] });
    expect(r.status).toBe(404);
    expect(r.json()).toEqual({ error: 'function "nope" is not deployed' });
  });
});
