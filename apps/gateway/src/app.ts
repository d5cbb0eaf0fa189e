import { EPARA_VERSION } from '@epara/contracts';
import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import express from 'express';
import { readFileSync } from 'node:fs';
import { bootApp, createRegistry } from '@epara/nats';
import { AccessControl, keyCheckBeforeBody } from './auth/access-control';
import { markRouteSecurity, withKeySchemes } from './auth/openapi-security';
import { RouteAccessCheck } from './auth/route-table';
import { BodyValidationPipe } from './common/body-validation.pipe';
import { bodyParserErrors } from './common/http-errors';
import { GatewayConfig } from './config';
import { GatewayModule } from './gateway.module';

/**
 * Routes whose body is passed on as raw bytes (tensors, msgpack, images), up to EPARA_MAX_BODY_MB: bodies
 * over the NATS max payload travel through the object store.
 */
const RAW_BODY_ROUTES = [
  '/v1/functions/:name/invoke',
  '/v1/functions/:name/async',
  '/v2/models/:name/infer',
  '/v2/models/:name/versions/:version/infer',
];

export async function startGateway(config: GatewayConfig): Promise<INestApplication> {
  const registry = createRegistry('gateway');
  return bootApp(GatewayModule.forRoot(config, registry), {
    name: 'gateway',
    port: config.port,
    host: config.host,
    json: config.json,
    bodyParser: false,
    httpsOptions: config.https && readHttpsFiles(config.https),
    configure: (app) => {
      const raw = express.raw({ type: () => true, limit: config.maxBodyBytes });
      const routes = app.get(RouteAccessCheck).routes();
      for (const route of RAW_BODY_ROUTES)
        app.use(
          route,
          keyCheckBeforeBody(app.get(AccessControl), routes.find((r) => r.method === 'POST' && r.path === route)?.access),
          raw,
        );
      app.use(express.json({ limit: '1mb' }));
      app.use(bodyParserErrors);
      app.useGlobalPipes(new BodyValidationPipe());
      const doc = withKeySchemes(
        new DocumentBuilder()
          .setTitle('Epara gateway')
          .setDescription(
            'Deploy and invoke AI inference functions. Routes need an API key with a scope (admin, read, invoke); see the README, "Security". JSON bodies are validated: unknown fields are refused, and a 400 names each bad field. Errors on /v1 are `{"error": {"code", "message", "details"}}`; on /v2 (Open Inference Protocol) `{"error": "<message>"}`. NATS subjects and headers: see the README.',
          )
          .setVersion(EPARA_VERSION),
      ).build();
      SwaggerModule.setup('docs', app, () => markRouteSecurity(SwaggerModule.createDocument(app, doc), app.get(RouteAccessCheck).routes()));
    },
  });
}

/** The HTTPS certificate and key, read once at start; an unreadable file stops the gateway saying which. */
function readHttpsFiles(https: NonNullable<GatewayConfig['https']>): { cert: Buffer; key: Buffer } {
  const read = (path: string, variable: string) => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new Error(`${variable}=${path} cannot be read: ${(e as Error).message}`, { cause: e });
    }
  };
  return { cert: read(https.certFile, 'EPARA_HTTPS_CERT'), key: read(https.keyFile, 'EPARA_HTTPS_KEY') };
}
