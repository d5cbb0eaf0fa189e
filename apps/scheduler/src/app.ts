import { INestApplication } from '@nestjs/common';
import { bootApp, createRegistry } from '@epara/nats';
import { SchedulerConfig } from './config';
import { SchedulerModule } from './scheduler.module';

export async function startScheduler(config: SchedulerConfig): Promise<INestApplication> {
  return bootApp(SchedulerModule.forRoot(config, createRegistry('scheduler')), { name: 'scheduler', port: config.port, json: config.json });
}
