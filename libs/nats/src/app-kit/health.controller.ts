import { Controller, Get, HttpException, Inject, Optional } from '@nestjs/common';
import { NatsClient } from '../nats-client';
import { OpenRoute } from './route-access';

export const READINESS = Symbol('READINESS');

/** App-specific readiness: returns why the app is not ready, or undefined when it is. */
export type ReadinessCheck = () => string | undefined;

@Controller()
export class HealthController {
  constructor(
    private readonly nats: NatsClient,
    @Optional() @Inject(READINESS) private readonly readiness?: ReadinessCheck,
  ) {}

  /** Liveness and readiness in one: 200 with details, or 503 with the reason. */
  @Get('health')
  @OpenRoute()
  health() {
    const nats = this.nats.isConnected ? 'up' : 'down';
    const notReady = nats === 'up' ? this.readiness?.() : 'NATS connection is down';
    const body = { status: notReady ? 'error' : 'ok', nats, server: this.nats.nc.getServer(), ...(notReady ? { reason: notReady } : {}) };
    if (notReady) throw new HttpException(body, 503);
    return body;
  }
}
