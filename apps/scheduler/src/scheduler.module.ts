import { DynamicModule, Module } from '@nestjs/common';
import { Registry } from 'prom-client';
import { HealthController, MetricsModule, NatsModule } from '@epara/nats';
import { SCHEDULER_CONFIG, SchedulerConfig } from './config';
import { SchedulerService } from './scheduler.service';

@Module({})
export class SchedulerModule {
  static forRoot(config: SchedulerConfig, registry: Registry): DynamicModule {
    return {
      module: SchedulerModule,
      imports: [
        NatsModule.forRoot({
          servers: config.natsUrl,
          name: `epara-${config.id}`,
          security: config.natsSecurity,
          jetStreamReplicas: config.jetStreamReplicas,
        }),
        MetricsModule.forRoot(registry),
      ],
      controllers: [HealthController],
      providers: [{ provide: SCHEDULER_CONFIG, useValue: config }, SchedulerService],
    };
  }
}
