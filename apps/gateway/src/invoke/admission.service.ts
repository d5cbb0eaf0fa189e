import { Inject, Injectable, Logger } from '@nestjs/common';
import { EparaError, FunctionRecord } from '@epara/contracts';
import { AdmissionThrottle } from '@epara/core';
import { ClusterView } from '../cluster/cluster-view.service';
import { GatewayMetrics } from '../common/gateway-metrics';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';

/**
 * The gateway's side of overload control: an AdmissionThrottle fed with every worker heartbeat. A
 * request it refuses is answered 429 with `Retry-After` before the gateway routes, copies or forwards
 * anything, so under overload the excess costs the first hop only and what is admitted still meets its
 * deadline at the workers.
 */
@Injectable()
export class AdmissionService {
  private readonly logger = new Logger(AdmissionService.name);
  private readonly throttle: AdmissionThrottle;

  constructor(
    cluster: ClusterView,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly metrics: GatewayMetrics,
  ) {
    this.throttle = new AdmissionThrottle({
      acceptsMultiplier: config.admissionMultiplier,
      onLimit: (fn, limit, refused) => this.logLimit(fn, limit, refused),
    });
    cluster.state.onHeartbeat((s) => this.throttle.observeHeartbeat(s, Date.now()));
  }

  private readonly throttled = new Set<string>();

  private logLimit(fn: string, limit: number, refusedShare: number): void {
    if (limit === Infinity) {
      this.throttled.delete(fn);
      this.metrics.admissionLimit.remove({ function: fn });
      return this.logger.log(`"${fn}" is no longer throttled: its workers refuse almost nothing now`);
    }
    this.metrics.admissionLimit.set({ function: fn }, limit);
    const line = `throttling "${fn}": its workers refused ${(refusedShare * 100).toFixed(1)}% of requests for load in the last period; forwarding at most ${Math.round(limit)} requests/s, the rest answered 429 here`;
    // The first time at warn, each adjustment after it at debug: one line a second would bury the log.
    if (this.throttled.has(fn)) this.logger.debug(line);
    else this.logger.warn(line);
    this.throttled.add(fn);
  }

  /** Throws 429 when the throttle refuses a request for `record` now. */
  check(record: FunctionRecord, nowMs: number): void {
    if (!this.config.admissionThrottle || this.throttle.admit(record.name, nowMs)) return;
    throw EparaError.shed(
      `"${record.name}" is overloaded: its workers refused requests for load in the last second, so this gateway forwards at most ${Math.round(this.throttle.limit(record.name))} requests/s and refused this one; retry later`,
      { function: record.name, retryAfterMs: 1000 },
    );
  }
}
