import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Registry } from 'prom-client';
import { HealthController, MetricsModule, NatsModule } from '@epara/nats';
import { ClusterController } from './cluster/cluster.controller';
import { ClusterView } from './cluster/cluster-view.service';
import { GatewayMetrics } from './common/gateway-metrics';
import { HttpErrorFilter } from './common/http-errors';
import { GATEWAY_CONFIG, GatewayConfig } from './config';
import { DashboardController } from './dashboard/dashboard.controller';
import { DeployService } from './functions/deploy.service';
import { FunctionRegistry } from './functions/function-registry.service';
import { FunctionsController } from './functions/functions.controller';
import { InvokeNatsController } from './invoke/invoke.nats-controller';
import { GenerationStreamer } from './invoke/generation-streamer';
import { InvokeService } from './invoke/invoke.service';
import { PipelineInvoker } from './invoke/pipeline-invoker';
import { WorkerCaller } from './invoke/worker-caller';
import { AdmissionService } from './invoke/admission.service';
import { KserveController } from './kserve/kserve.controller';
import { SplitInvoker } from './invoke/split-invoker';
import { AsyncController } from './async/async.controller';
import { AsyncService } from './async/async.service';

@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig, registry: Registry): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        NatsModule.forRoot({ servers: config.natsUrl, name: config.name, security: config.natsSecurity }),
        MetricsModule.forRoot(registry),
      ],
      controllers: [
        AsyncController,
        FunctionsController,
        ClusterController,
        KserveController,
        HealthController,
        DashboardController,
        InvokeNatsController,
      ],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        FunctionRegistry,
        ClusterView,
        DeployService,
        InvokeService,
        WorkerCaller,
        AdmissionService,
        PipelineInvoker,
        GenerationStreamer,
        SplitInvoker,
        AsyncService,
        GatewayMetrics,
      ],
    };
  }
}
