import { Controller, Get, HttpException, Inject, Optional } from '@nestjs/common';
import { NatsClient } from '../nats-client';
import { OpenRoute } from './route-access';

export const READINESS = Symbol('READINESS');

/** What an app adds to its readiness: why it is not ready (undefined when it is), and details to show. */
export interface AppReadiness {
  notReady?: string;
  details?: Record<string, unknown>;
}

/** App-specific readiness, asked on every readiness probe after NATS answered. */
export type ReadinessCheck = () => AppReadiness | Promise<AppReadiness>;

/**
 * Health as load balancers, compose healthchecks and Kubernetes probes read it:
 * - `/health/live`: the process runs and its event loop answers (restart it when this fails);
 * - `/health/ready` (and `/health`): NATS answers a flush and JetStream a request within a second each,
 *   and the app's own check passes (the gateway's registry is loaded, …): 200 with details, or 503
 *   with the reason (send it no traffic).
 */
@Controller()
export class HealthController {
  constructor(
    private readonly nats: NatsClient,
    @Optional() @Inject(READINESS) private readonly readiness?: ReadinessCheck,
  ) {}

  @Get('health/live')
  @OpenRoute()
  live() {
    return { status: 'ok' };
  }

  @Get('health')
  @OpenRoute()
  health() {
    return this.ready();
  }

  @Get('health/ready')
  @OpenRoute()
  async ready() {
    const link = await this.nats.health.probe();
    const app = link.up ? await this.readiness?.() : undefined;
    const reason = link.up ? app?.notReady : link.reason;
    const body = {
      status: reason ? 'error' : 'ok',
      nats: link.up ? 'up' : 'down',
      server: link.server,
      ...(reason ? { reason } : {}),
      ...app?.details,
    };
    if (reason) throw new HttpException(body, 503);
    return body;
  }
}
