import { ConsoleLogger, INestApplication, LogLevel, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NatsClient } from '../nats-client';
import { NatsTransport } from '../nats-transport';

export interface AppBootOptions {
  /** App name for logs and the NATS connection. */
  name: string;
  /** HTTP port (0 = any free port). */
  port: number;
  host?: string;
  json?: boolean;
  logLevels?: LogLevel[];
  /** Nest's JSON/urlencoded parsers; false when the app registers its own (raw bodies). Default true. */
  bodyParser?: boolean;
  /** HTTPS instead of HTTP: the certificate and key (PEM). */
  httpsOptions?: { cert: Buffer; key: Buffer };
  /** Lets the app tune Express before listening (body limits, filters). */
  configure?: (app: INestApplication) => void | Promise<void>;
}

/** Nest's own start-up chatter (a line per module and per route): debug level, so an operator sees the app's own lines. */
const NEST_STARTUP_CONTEXTS = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestFactory',
  'NestApplication',
  'NestMicroservice',
]);

class AppLogger extends ConsoleLogger {
  override log(message: unknown, ...rest: unknown[]): void {
    const context = rest.at(-1);
    if (typeof context === 'string' && NEST_STARTUP_CONTEXTS.has(context)) super.debug(message, ...rest);
    else super.log(message, ...rest);
  }
}

/**
 * Starts a hybrid Nest app: HTTP (controllers) plus the NATS side through NatsTransport, both on the
 * app's single NATS connection. Shutdown hooks drain subscriptions, then the connection.
 */
export async function bootApp(module: Type<unknown> | object, o: AppBootOptions): Promise<INestApplication> {
  const logger = new AppLogger(o.name, { json: o.json ?? false, logLevels: o.logLevels ?? ['log', 'warn', 'error', 'fatal'] });
  const app = await NestFactory.create(module as Type<unknown>, {
    logger,
    bufferLogs: false,
    bodyParser: o.bodyParser ?? true,
    httpsOptions: o.httpsOptions,
  });
  app.enableShutdownHooks();
  await o.configure?.(app);
  // Module init first (the gateway's registry loads its KV mirror there): the NATS handlers subscribe
  // only after it, so no request meets a half-started app.
  await app.init();
  const transport = new NatsTransport(app.get(NatsClient));
  app.connectMicroservice({ strategy: transport }, { inheritAppConfig: true });
  await app.startAllMicroservices();
  await app.listen(o.port, o.host ?? '0.0.0.0');
  return app;
}

/** The port an app listens on (useful with port 0). */
export function listeningPort(app: INestApplication): number {
  const addr = app.getHttpServer().address();
  return typeof addr === 'object' && addr ? addr.port : 0;
}
