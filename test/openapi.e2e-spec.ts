import { http } from './support/http';
import { ProcessCluster } from './support/process-cluster';

/**
 * The OpenAPI document of the built gateway (the Swagger compiler plugin reads the DTOs at build time,
 * so this runs the gateway from dist/ as users do): request bodies have schemas, not just "object".
 */
describe('OpenAPI document (gateway from dist/)', () => {
  let c: ProcessCluster;

  beforeAll(async () => {
    c = await ProcessCluster.start();
  }, 60_000);
  afterAll(async () => {
    await c?.stop();
  });

  it('describes the deploy spec and the patch with their fields, types and limits', async () => {
    const doc = (await http(`${c.gatewayUrl}/docs-json`)).json();
    const schemas = doc.components.schemas;
    expect(schemas.DeployFunctionDto.required).toEqual(expect.arrayContaining(['name', 'kind', 'slo']));
    expect(schemas.DeployFunctionDto.properties.kind.enum).toEqual(expect.arrayContaining(['tensor', 'text-detection']));
    expect(schemas.SloDto.properties.latencyMs).toMatchObject({ minimum: 1, maximum: 600000 });
    expect(schemas.HintsDto.properties.replicas).toMatchObject({ minimum: 1 });
    const deploy = doc.paths['/v1/functions'].post.requestBody.content;
    expect(Object.keys(deploy)).toEqual(expect.arrayContaining(['multipart/form-data', 'application/json']));
    expect(doc.paths['/v1/functions/{name}'].patch.requestBody.content['application/json'].schema.$ref).toBe(
      '#/components/schemas/PatchFunctionDto',
    );
  });
});
