import { INestApplication } from '@nestjs/common';
import { bootApp, createRegistry } from '@epara/nats';
import { WorkerConfig } from './config';
import { WorkerModule } from './worker.module';

export async function startWorker(config: WorkerConfig): Promise<INestApplication> {
  return bootApp(WorkerModule.forRoot(config, createRegistry('worker', config.device)), {
    name: `worker ${config.device}`,
    port: config.port,
    json: config.json,
  });
}
