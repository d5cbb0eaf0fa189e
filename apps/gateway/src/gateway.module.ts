import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { MulterModule } from '@nestjs/platform-express';
import { Registry } from 'prom-client';
import { HealthController, MetricsModule, NatsModule, READINESS, ReadinessCheck } from '@epara/nats';
import { AccessControl, ApiKeyGuard } from './auth/access-control';
import { ApiKeyStore } from './auth/api-key-store.service';
import { KeysController } from './auth/keys.controller';
import { RouteAccessCheck } from './auth/route-table';
import { ClusterController } from './cluster/cluster.controller';
import { ClusterView } from './cluster/cluster-view.service';
import { GatewayMetrics } from './common/gateway-metrics';
import { HttpErrorFilter } from './common/http-errors';
import { GATEWAY_CONFIG, GatewayConfig } from './config';
import { DashboardController, DashboardSeriesController } from './dashboard/dashboard.controller';
import { DashboardHistory } from './dashboard/dashboard-history.service';
import { DeployService } from './functions/deploy.service';
import { FunctionRegistry } from './functions/function-registry.service';
import { FunctionsController } from './functions/functions.controller';
import { modelUploadLimits } from './functions/model-upload-limit';
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
import { MqttService } from './mqtt/mqtt.service';

@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig, registry: Registry): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        NatsModule.forRoot({
          servers: config.natsUrl,
          name: config.name,
          security: config.natsSecurity,
          jetStreamReplicas: config.jetStreamReplicas,
        }),
        MetricsModule.forRoot(registry),
        DiscoveryModule,
        // FileInterceptor reads these: a model upload stops at EPARA_MAX_MODEL_MB instead of filling memory.
        MulterModule.register({ limits: modelUploadLimits(config.maxModelBytes) }),
      ],
      controllers: [
        AsyncController,
        FunctionsController,
        ClusterController,
        KserveController,
        HealthController,
        DashboardController,
        DashboardSeriesController,
        InvokeNatsController,
        KeysController,
      ],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        // Every HTTP route is checked against the access it declares (@NeedsScope, @OpenRoute).
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        ApiKeyStore,
        AccessControl,
        RouteAccessCheck,
        FunctionRegistry,
        {
          provide: READINESS,
          inject: [FunctionRegistry],
          useFactory:
            (functions: FunctionRegistry): ReadinessCheck =>
            () => {
              const notReady = functions.notLoaded();
              return notReady ? { notReady } : { details: { functions: functions.list().length } };
            },
        },
        ClusterView,
        DeployService,
        InvokeService,
        WorkerCaller,
        AdmissionService,
        PipelineInvoker,
        GenerationStreamer,
        SplitInvoker,
        AsyncService,
        MqttService,
        GatewayMetrics,
        DashboardHistory,
      ],
    };
  }
}
