import { Inject, Injectable, Logger } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { METRICS, removeSeries } from '@epara/nats';
import { FunctionRegistry } from '../functions/function-registry.service';

/** Latency buckets in seconds, from sub-millisecond (tiny models over NATS) to tens of seconds. */
export const LATENCY_BUCKETS_S = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30];

/** The `function` label of requests for names that are not deployed (no function name starts with `_`). */
export const UNKNOWN_FUNCTION_LABEL = '_unknown';

/**
 * The `function` label for a request to `fn`: its name when deployed, else UNKNOWN_FUNCTION_LABEL, so
 * that names anyone can invoke do not each add series to /metrics for good.
 */
export function functionLabel(functions: Pick<FunctionRegistry, 'find'>, fn: string): string {
  return functions.find(fn) ? fn : UNKNOWN_FUNCTION_LABEL;
}

/** Metrics labelled by deployed function only (see functionLabel); a deleted function's series are removed. */
@Injectable()
export class GatewayMetrics {
  private readonly logger = new Logger(GatewayMetrics.name);
  readonly requests: Counter<'function' | 'transport' | 'outcome'>;
  readonly latency: Histogram<'function' | 'transport'>;
  readonly goodRequests: Counter<'function'>;
  readonly admissionLimit: Gauge<'function'>;
  readonly keyRefusals: Counter<'status'>;

  constructor(@Inject(METRICS) registry: Registry, functions: FunctionRegistry) {
    this.requests = new Counter({
      name: 'epara_gateway_requests_total',
      help: 'Invocations handled by the gateway, by function, transport (http|nats) and outcome (ok, slo_missed, or the error code)',
      labelNames: ['function', 'transport', 'outcome'],
      registers: [registry],
    });
    this.latency = new Histogram({
      name: 'epara_gateway_request_duration_seconds',
      help: 'End-to-end latency seen by the gateway, seconds',
      labelNames: ['function', 'transport'],
      buckets: LATENCY_BUCKETS_S,
      registers: [registry],
    });
    this.goodRequests = new Counter({
      name: 'epara_gateway_good_requests_total',
      help: 'Invocations completed within their SLO (goodput = rate of this counter)',
      labelNames: ['function'],
      registers: [registry],
    });
    this.admissionLimit = new Gauge({
      name: 'epara_gateway_admission_limit_rps',
      help: 'Requests/s this gateway forwards for a function it throttles under overload (absent: not throttled)',
      labelNames: ['function'],
      registers: [registry],
    });
    functions.onRemoved((fn) =>
      removeSeries([this.requests, this.latency, this.goodRequests, this.admissionLimit], { function: fn }).catch((e) =>
        this.logger.warn(`could not remove the metrics of deleted function ${fn}: ${(e as Error).message}`),
      ),
    );
    this.keyRefusals = new Counter({
      name: 'epara_gateway_api_key_refusals_total',
      help: 'HTTP requests refused for their API key: status 401 (none, unknown, revoked or expired) or 403 (lacking the scope)',
      labelNames: ['status'],
      registers: [registry],
    });
  }
}
