import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { listeningPort } from '@epara/nats';
import { startScheduler } from './app';
import { loadSchedulerConfig } from './config';

async function main(): Promise<void> {
  const config = loadSchedulerConfig();
  const app = await startScheduler(config);
  new Logger('scheduler').log(
    `scheduler ${config.id} up; /health and /metrics on http://localhost:${listeningPort(app)} (NATS ${config.natsUrl})`,
  );
}

main().catch((e) => {
  console.error(`scheduler failed to start: ${(e as Error).message}`);
  process.exit(1);
});
