import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { listeningPort } from '@epara/nats';
import { startWorker } from './app';
import { loadWorkerConfig } from './config';

async function main(): Promise<void> {
  const config = loadWorkerConfig();
  const app = await startWorker(config);
  new Logger('worker').log(
    `worker ${config.device} (${config.slot}) up; /health and /metrics on http://localhost:${listeningPort(app)} (NATS ${config.natsUrl})`,
  );
}

main().catch((e) => {
  console.error(`worker failed to start: ${(e as Error).message}`);
  process.exit(1);
});
