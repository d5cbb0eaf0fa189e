import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { listeningPort } from '@epara/nats';
import { startGateway } from './app';
import { loadGatewayConfig } from './config';

async function main(): Promise<void> {
  const config = loadGatewayConfig();
  const app = await startGateway(config);
  const host = config.host === '0.0.0.0' ? 'localhost' : config.host;
  const logger = new Logger('gateway');
  logger.log(`gateway listening on ${config.https ? 'https' : 'http'}://${host}:${listeningPort(app)} (NATS ${config.natsUrl})`);
  if (!config.authEnabled)
    logger.warn('API KEYS OFF (EPARA_AUTH=off): anyone who reaches this port can deploy, delete and invoke functions');
}

main().catch((e) => {
  console.error(`gateway failed to start: ${(e as Error).message}`);
  process.exit(1);
});
