import { DynamicModule, Module } from '@nestjs/common';
import { Registry } from 'prom-client';
import { HealthController, MetricsModule, NatsModule, READINESS, ReadinessCheck } from '@epara/nats';
import { WORKER_CONFIG, WorkerConfig } from './config';
import { ModelManager } from './models/model-manager';
import { WorkerService } from './serving/worker.service';
import { HeartbeatService } from './state/heartbeat.service';
import { WorkerMetrics } from './state/worker-metrics';

@Module({})
export class WorkerModule {
  static forRoot(config: WorkerConfig, registry: Registry): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        NatsModule.forRoot({
          servers: config.natsUrl,
          name: `epara-worker-${config.device}`,
          security: config.natsSecurity,
          jetStreamReplicas: config.jetStreamReplicas,
        }),
        MetricsModule.forRoot(registry),
      ],
      controllers: [HealthController],
      providers: [
        { provide: WORKER_CONFIG, useValue: config },
        WorkerMetrics,
        ModelManager,
        WorkerService,
        HeartbeatService,
        {
          // A worker loading or failing a model is still a worker: readiness shows each unit's state.
          provide: READINESS,
          inject: [WorkerService],
          useFactory:
            (worker: WorkerService): ReadinessCheck =>
            () => ({ details: { device: config.device, units: Object.fromEntries(worker.unitStates().map((u) => [u.unit, u.state])) } }),
        },
      ],
    };
  }
}
