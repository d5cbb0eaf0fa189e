import { Controller, Get, Header, Inject, Module, Global } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { Scope } from '@epara/contracts';
import { NeedsScope } from './route-access';

export const METRICS = Symbol('METRICS_REGISTRY');

/** Each app owns its registry (tests run several apps in one process; the global one would collide). */
export function createRegistry(app: string, device?: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels(device ? { app, device } : { app });
  collectDefaultMetrics({ register: registry });
  return registry;
}

@Controller()
export class MetricsController {
  constructor(@Inject(METRICS) private readonly registry: Registry) {}

  @Get('metrics')
  @NeedsScope(Scope.Read)
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}

@Global()
@Module({})
export class MetricsModule {
  static forRoot(registry: Registry) {
    return {
      module: MetricsModule,
      controllers: [MetricsController],
      providers: [{ provide: METRICS, useValue: registry }],
      exports: [METRICS],
    };
  }
}
