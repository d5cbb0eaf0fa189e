import { Controller, Get, Header, Inject, Module, Global } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, LabelValues, Registry } from 'prom-client';
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

/**
 * Removes every series of `metrics` whose labels include `match` (all of a deleted function's, say):
 * prom-client removes one full label set at a time, so the sets are read from the metrics themselves.
 */
export async function removeSeries(
  metrics: readonly (Counter<string> | Gauge<string> | Histogram<string>)[],
  match: LabelValues<string>,
): Promise<void> {
  const wanted = Object.entries(match);
  for (const metric of metrics) {
    const removed = new Set<string>();
    for (const { labels } of (await metric.get()).values) {
      if (!wanted.every(([k, v]) => labels[k] === v)) continue;
      const { le: _bucket, ...series } = labels; // a histogram's buckets belong to their series
      const key = JSON.stringify(series);
      if (removed.has(key)) continue;
      removed.add(key);
      metric.remove(series);
    }
  }
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
