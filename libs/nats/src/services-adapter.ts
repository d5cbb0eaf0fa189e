// The NATS services API ("micro": $SRV.PING/INFO/STATS, what `nats micro` reads) comes from
// @nats-io/services, which is still a prerelease (3.0.0-25) whose API may change before 3.0. Epara uses
// it through this module alone — registration on the worker, discovery in the CLI — so a change there
// is a change here.
import { Msg, NatsConnection } from '@nats-io/transport-node';
import type { Service, ServiceHandler, ServiceIdentity, ServiceInfo, ServiceStats } from '@nats-io/services';
import { Svcm } from '@nats-io/services';
import { classifyNatsError, NatsFailure } from './nats-errors';

export type { ServiceIdentity, ServiceInfo, ServiceStats };

/**
 * The connection as @nats-io/services types it. The prerelease depends on nats-core 3.0.0-50, whose
 * declarations differ from 3.4.0's in details (`Match` gained values), so the same connection does not
 * type-check as its own; at run time it is handed this connection and calls only what both versions have.
 */
type SvcmConnection = ConstructorParameters<typeof Svcm>[0];
const svcm = (nc: NatsConnection) => new Svcm(nc as unknown as SvcmConnection);

/** A service as the micro conventions describe it: name, version, description, metadata, stats data. */
export interface MicroServiceConfig {
  name: string;
  version: string;
  description: string;
  metadata: Record<string, string>;
  /** The `data` of each endpoint in $SRV.STATS. */
  stats?: () => Promise<unknown>;
}

export interface MicroEndpoint {
  subject: string;
  /** Queue group of the endpoint's subscription. */
  queue: string;
  metadata?: Record<string, string>;
  /** Runs inline with socket parsing, per message; it owns the reply. */
  handler: (err: Error | null, msg: Msg) => void;
}

export interface MicroService {
  addEndpoint(name: string, endpoint: MicroEndpoint): void;
  /** Drains the endpoints' subscriptions and stops answering $SRV requests. */
  stop(): Promise<void>;
}

/** Registers a service on `nc`: it answers $SRV.PING/INFO/STATS[.<name>[.<id>]] with a fresh id. */
export async function addMicroService(nc: NatsConnection, config: MicroServiceConfig): Promise<MicroService> {
  const svc: Service = await svcm(nc).add({
    name: config.name,
    version: config.version,
    description: config.description,
    metadata: config.metadata,
    ...(config.stats ? { statsHandler: config.stats } : {}),
  });
  return {
    addEndpoint: (name, e) => {
      // The service passes each message of this connection on, wrapped; it is a `Msg` of nats-core 3.4.0.
      const handler = e.handler as unknown as ServiceHandler;
      svc.addEndpoint(name, { subject: e.subject, queue: e.queue, metadata: e.metadata, handler });
    },
    stop: async () => {
      await svc.stop();
    },
  };
}

export type MicroVerb = 'ping' | 'info' | 'stats';

interface MicroAnswer {
  ping: ServiceIdentity;
  info: ServiceInfo;
  stats: ServiceStats;
}

/**
 * Asks every service instance that matches ($SRV.<VERB>[.<name>[.<id>]]) and collects the answers until
 * none came for a short while or `maxWaitMs` passed, as `nats micro` does. No service at all is an empty
 * list, not a failure.
 */
export async function askMicroServices<V extends MicroVerb>(
  nc: NatsConnection,
  verb: V,
  o: { maxWaitMs: number; name?: string; id?: string },
): Promise<MicroAnswer[V][]> {
  // "stall": the collection ends once answers stop arriving (nats 2's jitter timer).
  const client = svcm(nc).client({ strategy: 'stall', maxWait: o.maxWaitMs });
  const answers: MicroAnswer[V][] = [];
  try {
    const iter = await client[verb](o.name, o.id);
    for await (const a of iter) answers.push(a as MicroAnswer[V]);
  } catch (e) {
    if (classifyNatsError(e) !== NatsFailure.NoResponders) throw e;
  }
  return answers;
}
