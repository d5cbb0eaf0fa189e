import { connect, NatsConnection } from '@nats-io/transport-node';
import { http, postJson } from './http';
import { freePort, startNats, TestNats } from './nats-server';
import { AppName, AppProcess } from './processes';
import { TEST_ADMIN_KEY } from './test-keys';

/** Inputs of the synthetic `add` model (buildAdd): a + b and a × b over [1, 4]. */
export const ADD_BODY = {
  inputs: [
    { name: 'a', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] },
    { name: 'b', shape: [1, 4], datatype: 'FP32', data: [1, 1, 1, 1] },
  ],
};

/** Fast loop periods (a lost device in 1.5 s, placement every second) and the test admin key, for apps run as processes. */
export const PROCESS_APP_ENV: Record<string, string> = {
  EPARA_HEARTBEAT_MS: '200',
  EPARA_PLACEMENT_PERIOD_MS: '1000',
  EPARA_DEVICE_LOST_MS: '1500',
  EPARA_LEADER_REFRESH_MS: '300',
  EPARA_DEVICE_MEMORY_MB: '512',
  EPARA_LOG_FORMAT: 'json',
  EPARA_ADMIN_KEY: TEST_ADMIN_KEY,
};

/**
 * The apps as separate processes (from dist/, as in production) against a private nats-server: a
 * worker can be SIGKILLed like a crashed device. Short periods keep tests quick; `env` adds to them.
 */
export class ProcessCluster {
  readonly procs: AppProcess[] = [];
  gatewayUrl = '';
  client!: NatsConnection;
  private env: Record<string, string> = {};

  private constructor(readonly nats: TestNats) {}

  static async start(env: Record<string, string> = {}): Promise<ProcessCluster> {
    const c = new ProcessCluster(await startNats());
    c.env = { NATS_URL: c.nats.url, ...PROCESS_APP_ENV, ...env };
    const port = await freePort();
    await c.add('gateway', { EPARA_GATEWAY_PORT: String(port), EPARA_GATEWAY_HOST: '127.0.0.1' });
    c.gatewayUrl = `http://127.0.0.1:${port}`;
    c.client = await connect({ servers: c.nats.url });
    return c;
  }

  /** Starts one more app process and waits for its "up" line. */
  async add(app: AppName, extra: Record<string, string> = {}): Promise<AppProcess> {
    const p = new AppProcess(app, { ...this.env, ...extra });
    this.procs.push(p);
    await p.waitForLog(/ up;| listening on http/);
    return p;
  }

  /** The devices that hold a replica of `fn`, from the gateway's placement view, sorted. */
  replicasOf(fn: string): Promise<string[]> {
    return replicasOf(this.gatewayUrl, fn);
  }

  /** steadyLoad against this cluster's gateway. */
  steadyLoad(fn: string, body: unknown): SteadyLoad {
    return steadyLoad(this.gatewayUrl, fn, body);
  }

  async stop(): Promise<void> {
    await this.client?.close();
    for (const p of this.procs.reverse()) await p.stop();
    await this.nats.stop();
  }
}

/** The devices that hold a replica of `fn`, from the gateway's placement view, sorted. */
export async function replicasOf(gatewayUrl: string, fn: string): Promise<string[]> {
  const placement = (await http(`${gatewayUrl}/v1/placement`)).json().placement as {
    device: string;
    assignments: { fn: string }[];
    away?: boolean;
  }[];
  return placement
    .filter((p) => !p.away && p.assignments.some((a) => a.fn === fn))
    .map((p) => p.device)
    .sort();
}

export interface SteadyLoad {
  /** Every status so far, in order. */
  outcomes: number[];
  /** Stops sending; resolves with every status in order. */
  stop(): Promise<number[]>;
}

/** Requests to `fn` over HTTP one after another (5 ms apart) until `stop()`; `outcomes` grows meanwhile. */
export function steadyLoad(gatewayUrl: string, fn: string, body: unknown): SteadyLoad {
  const outcomes: number[] = [];
  let running = true;
  const load = (async () => {
    while (running) {
      outcomes.push((await postJson(`${gatewayUrl}/v1/functions/${fn}/invoke`, body)).status);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return {
    outcomes,
    stop: async () => {
      running = false;
      await load;
      return outcomes;
    },
  };
}
