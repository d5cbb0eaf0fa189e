import { INestApplication } from '@nestjs/common';
import { NatsConnection } from '@nats-io/transport-node';
import { listeningPort } from '@epara/nats';
import { startGateway } from '../../apps/gateway/src/app';
import { loadGatewayConfig } from '../../apps/gateway/src/config';
import { startScheduler } from '../../apps/scheduler/src/app';
import { loadSchedulerConfig } from '../../apps/scheduler/src/config';
import { startWorker } from '../../apps/worker/src/app';
import { loadWorkerConfig } from '../../apps/worker/src/config';
import { NatsServerOptions, startNats, TestNats } from './nats-server';
import { TEST_ADMIN_KEY } from './test-keys';

export interface TestCluster {
  nats: TestNats;
  gatewayUrl: string;
  gateway: INestApplication;
  workers: INestApplication[];
  scheduler?: INestApplication;
  /**
   * A separate connection, as a producer or operator would have: anonymous, or with `auth` the operator
   * (read-only; `nats.connect('producer')` for a producer).
   */
  client: NatsConnection;
  env: Record<string, string>;
  addWorker(index: number, env?: Record<string, string>): Promise<INestApplication>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  workers?: number;
  scheduler?: boolean;
  env?: Record<string, string>;
  workerEnv?: (index: number) => Record<string, string>;
  /**
   * The server with the generated role users (and TLS): each app connects with its role's credential,
   * as npm start runs them; `nats.credentials` holds the producer and operator ones for the test.
   */
  security?: Pick<NatsServerOptions, 'auth' | 'tls' | 'producers' | 'mqtt' | 'mqttDevices'> & {
    /** With `tls`: the gateway answers HTTPS with the server certificate (`gatewayUrl` is https, trust `nats.tls.ca`). */
    https?: boolean;
  };
}

/**
 * The real apps, in this process, against a private nats-server on a free port. Short periods keep
 * tests quick: heartbeats every 200 ms, placement every second.
 */
export async function startCluster(o: ClusterOptions = {}): Promise<TestCluster> {
  const nats = await startNats(o.security);
  const env: Record<string, string> = {
    NATS_URL: nats.url,
    EPARA_PLACEMENT_PERIOD_MS: '1000',
    EPARA_DEVICE_LOST_MS: '1500',
    EPARA_LEADER_REFRESH_MS: '300',
    EPARA_HEARTBEAT_MS: '200',
    EPARA_DEVICE_MEMORY_MB: '2048',
    // The gateway checks API keys as in production; test/support/http.ts sends this one by default.
    EPARA_ADMIN_KEY: TEST_ADMIN_KEY,
    ...(process.env.EPARA_CACHE_DIR ? { EPARA_CACHE_DIR: process.env.EPARA_CACHE_DIR } : {}),
    ...o.env,
  };
  const apps: INestApplication[] = [];
  const https = o.security?.https && nats.tls ? { EPARA_HTTPS_CERT: nats.tls.serverCert, EPARA_HTTPS_KEY: nats.tls.serverKey } : {};
  const gateway = await startGateway(
    loadGatewayConfig({ ...env, ...nats.clientEnv('gateway'), ...https, EPARA_GATEWAY_PORT: '0', EPARA_GATEWAY_HOST: '127.0.0.1' }),
  );
  apps.push(gateway);
  const workers: INestApplication[] = [];
  const addWorker = async (i: number, extra: Record<string, string> = {}) => {
    const w = await startWorker(
      loadWorkerConfig({
        ...env,
        ...nats.clientEnv('worker'),
        EPARA_DEVICE: `cpu:${i}`,
        EPARA_WORKER_PORT: '0',
        ...o.workerEnv?.(i),
        ...extra,
      }),
    );
    workers.push(w);
    apps.push(w);
    return w;
  };
  for (let i = 0; i < (o.workers ?? 1); i++) await addWorker(i);
  let scheduler: INestApplication | undefined;
  if (o.scheduler !== false) {
    scheduler = await startScheduler(loadSchedulerConfig({ ...env, ...nats.clientEnv('scheduler'), EPARA_SCHEDULER_PORT: '0' }));
    apps.push(scheduler);
  }
  const client = await nats.connect(o.security?.auth ? 'operator' : undefined, 'test-client');
  return {
    nats,
    gateway,
    gatewayUrl: `${https.EPARA_HTTPS_CERT ? 'https' : 'http'}://127.0.0.1:${listeningPort(gateway)}`,
    workers,
    scheduler,
    client,
    env,
    addWorker,
    stop: async () => {
      await client.close();
      for (const a of apps.reverse()) await a.close().catch(() => undefined);
      await nats.stop();
    },
  };
}

export { waitFor } from './wait-for';
export { authHeader, TEST_ADMIN_KEY } from './test-keys';
