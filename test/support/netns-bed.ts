import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { importEsm } from './esm';

const NETNS_MODULE = join(__dirname, '..', '..', 'scripts', 'lib', 'netns.mjs');

/** A host of the bed: a network namespace on the bed's bridge (scripts/lib/netns.mjs). */
export interface BedHost {
  name: string;
  ns: string;
  ip: string;
  natsUrl: string;
}

/** The bed as tests use it: hosts, the gateway on the first host, and the link operations. */
export interface NetnsBed {
  prefix: string;
  hosts: BedHost[];
  gatewayUrl: string;
  host(name: string): BedHost;
  cut(host: string): void;
  restore(host: string): void;
  impair(host: string, impairment: { delayMs?: number; lossPct?: number }): void;
  kill(host: string, app: string): Promise<void>;
  /** Starts a killed process again with its first role and environment; resolves once it is up. */
  restart(host: string, app: string, timeoutMs?: number): Promise<unknown>;
  /** Starts one more process (`role`: nats, gateway, worker, scheduler) on `host`. */
  start(
    host: string,
    name: string,
    role: string,
    env?: Record<string, string>,
  ): { waitForLog(marker: RegExp, timeoutMs?: number): Promise<void> };
  /** The processes of the bed, running or not: where their pids are read for RSS samples. */
  procs: {
    name: string;
    role: string;
    env: Record<string, string>;
    running: boolean;
    host: { name: string };
    proc: { pid?: number };
    /** The last part of what it wrote to stdout and stderr. */
    log: string;
  }[];
  destroy(graceMs?: number): Promise<void>;
  describe(): Record<string, unknown>;
}

interface NetnsModule {
  upCluster(o: { appEnv?: Record<string, string> }): Promise<NetnsBed>;
  upEdge(o: { appEnv?: Record<string, string>; sites?: number }): Promise<NetnsBed>;
  deviceOf(host: string): string;
}

export const loadNetns = (): Promise<NetnsModule> => importEsm<NetnsModule>(NETNS_MODULE);

/**
 * Why a netns bed cannot run here (not root, no `ip netns`, no tc), or undefined. Synchronous, for
 * `describe.skip`: asks scripts/lib/netns.mjs in a child process.
 */
export function netnsUnavailableReason(): string | undefined {
  const r = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import(${JSON.stringify(NETNS_MODULE)}).then((m) => process.stdout.write(m.netnsUnavailableReason() ?? ''))`,
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) return `scripts/lib/netns.mjs failed to load: ${r.stderr.trim()}`;
  return r.stdout.trim() || undefined;
}
