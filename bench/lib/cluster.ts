/**
 * A private Epara cluster for benchmarks: nats-server on a free port, then the compiled apps (gateway,
 * N workers, scheduler) as child processes from dist/, configured only by env vars — exactly as an
 * operator runs them. Every child's stdout/stderr goes to a log file in a temp dir; a failure prints
 * the tail of every log.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { NatsConnection } from '@nats-io/transport-node';
import { freePort, startNats, TestNats } from '../../test/support/nats-server';
import { authHeader, TEST_ADMIN_KEY } from '../../test/support/test-keys';
import { pinGenerator, pinPlatform } from './pinning';

export const REPO_ROOT = resolve(__dirname, '..', '..');
export type AppName = 'gateway' | 'worker' | 'scheduler';

/** dist/apps/<app>/apps/<app>/src/main.js — where `nest build --all` writes each app. */
export function appEntry(app: AppName): string {
  return join(REPO_ROOT, 'dist', 'apps', app, 'apps', app, 'src', 'main.js');
}

function newestSourceMs(dir: string): number {
  let newest = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  if (existsSync(dir)) walk(dir);
  return newest;
}

/** Throws when an app is not built; warns when sources are newer than the build. */
export function checkBuild(): void {
  const missing = (['gateway', 'worker', 'scheduler'] as AppName[]).filter((a) => !existsSync(appEntry(a)));
  if (missing.length) {
    throw new Error(
      `compiled apps missing (${missing.map((a) => appEntry(a)).join(', ')}): run \`npm run build\` (or \`npx nest build --all\`) first`,
    );
  }
  const builtMs = Math.min(...(['gateway', 'worker', 'scheduler'] as AppName[]).map((a) => statSync(appEntry(a)).mtimeMs));
  const srcMs = Math.max(newestSourceMs(join(REPO_ROOT, 'apps')), newestSourceMs(join(REPO_ROOT, 'libs')));
  if (srcMs > builtMs) {
    console.warn(
      `[bench] warning: sources in apps/ or libs/ are newer than dist/ (built ${new Date(builtMs).toISOString()}); run \`npm run build\` to benchmark the current code`,
    );
  }
}

export interface Child {
  name: string;
  app: AppName;
  proc: ChildProcess;
  pid: number;
  /** HTTP port (/health, /metrics; the gateway's API). */
  port: number;
  logFile: string;
  env: Record<string, string>;
  /** Set before a deliberate stop, so its exit is not reported as a crash. */
  stopping?: boolean;
}

export interface ClusterOptions {
  workers?: number;
  scheduler?: boolean;
  /** Env for every app (after the defaults). */
  env?: Record<string, string>;
  gatewayEnv?: Record<string, string>;
  workerEnv?: (index: number) => Record<string, string>;
  schedulerEnv?: Record<string, string>;
  /** Print child logs on stop too (not only on failure). */
  verbose?: boolean;
  /**
   * The server with the generated role users (and TLS), each app with its role's credential, the
   * benchmark's own connection as the producer: what the authorization costs.
   */
  security?: { auth?: boolean; tls?: boolean };
}

export interface DeployedFunction {
  name: string;
  mode: string;
  record: any;
}

/**
 * The header that opens the benchmark's gateway: it starts with the tests' admin key as EPARA_ADMIN_KEY,
 * so benchmarks pay for the key check as production does.
 */
export const GATEWAY_AUTH: Record<string, string> = authHeader();

/** `fetch` with the benchmark gateway's admin key (other apps ignore the header). */
export function gatewayFetch(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, headers: { ...GATEWAY_AUTH, ...(init.headers as Record<string, string> | undefined) } });
}

/** GET returning status and parsed JSON body (or undefined). */
export async function getJson(url: string): Promise<{ status: number; body: any }> {
  const res = await gatewayFetch(url);
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body };
}

export { waitFor } from '../../test/support/wait-for';
import { waitFor } from '../../test/support/wait-for';

/** Resident memory of a process, bytes, from /proc/<pid>/status VmRSS (Linux); undefined elsewhere. */
export function rssBytes(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export class BenchCluster {
  readonly children: Child[] = [];
  private readonly logDir = mkdtempSync(join(tmpdir(), 'epara-bench-logs-'));
  nats!: TestNats;
  /** The benchmark's own connection, as a producer would have. */
  nc!: NatsConnection;
  env: Record<string, string> = {};
  private stopped = false;
  private dumped = false;

  constructor(private readonly o: ClusterOptions = {}) {}

  get gateway(): Child {
    const g = this.children.find((c) => c.app === 'gateway');
    if (!g) throw new Error('no gateway running');
    return g;
  }

  get gatewayUrl(): string {
    return `http://127.0.0.1:${this.gateway.port}`;
  }

  get workers(): Child[] {
    return this.children.filter((c) => c.app === 'worker');
  }

  /** Starts NATS, the gateway, the workers, the scheduler; waits for each /health. */
  async start(): Promise<this> {
    checkBuild();
    try {
      pinGenerator();
      this.nats = await startNats(this.o.security);
      pinPlatform(this.nats.pid);
      this.env = {
        NATS_URL: this.nats.url,
        EPARA_LOG_FORMAT: 'text',
        EPARA_HEARTBEAT_MS: '500',
        EPARA_PLACEMENT_PERIOD_MS: '2000',
        EPARA_DEVICE_LOST_MS: '3000',
        EPARA_LEADER_REFRESH_MS: '500',
        EPARA_DEVICE_MEMORY_MB: '2048',
        EPARA_ADMIN_KEY: TEST_ADMIN_KEY,
        ...(process.env.EPARA_CACHE_DIR ? { EPARA_CACHE_DIR: process.env.EPARA_CACHE_DIR } : {}),
        ...this.o.env,
      };
      await this.startChild('gateway', 'gateway', { EPARA_GATEWAY_HOST: '127.0.0.1', ...this.o.gatewayEnv }, 'EPARA_GATEWAY_PORT');
      for (let i = 0; i < (this.o.workers ?? 1); i++) await this.addWorker(i);
      if (this.o.scheduler !== false) await this.startChild('scheduler', 'scheduler', { ...this.o.schedulerEnv }, 'EPARA_SCHEDULER_PORT');
      this.nc = await this.nats.connect(this.o.security?.auth ? 'producer' : undefined, 'epara-bench');
      return this;
    } catch (e) {
      this.dumpLogs();
      await this.stop();
      throw e;
    }
  }

  async addWorker(index: number, extra: Record<string, string> = {}): Promise<Child> {
    return this.startChild(
      `worker-${index}`,
      'worker',
      { EPARA_DEVICE: `cpu:${index}`, ...this.o.workerEnv?.(index), ...extra },
      'EPARA_WORKER_PORT',
    );
  }

  private async startChild(name: string, app: AppName, extra: Record<string, string>, portVar: string): Promise<Child> {
    const port = await freePort();
    const env = { ...this.env, ...this.nats.clientEnv(app), ...extra, [portVar]: String(port) };
    const logFile = join(this.logDir, `${name}.log`);
    const fd = openSync(logFile, 'a');
    // EPARA_BENCH_CPU_PROF=<dir>: every app writes a V8 CPU profile there when it exits (bench/profile-breakdown.ts reads them).
    const profDir = process.env.EPARA_BENCH_CPU_PROF;
    const nodeArgs = profDir ? ['--cpu-prof', `--cpu-prof-dir=${join(profDir, name)}`] : [];
    const proc = spawn(process.execPath, [...nodeArgs, appEntry(app)], {
      cwd: REPO_ROOT,
      // EPARA_* variables of the benchmark's own environment reach the apps (to compare a setting, e.g.
      // EPARA_SESSION_THREADS=false); what the benchmark sets itself wins.
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...inheritedEparaEnv(), ...env },
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    pinPlatform(proc.pid);
    const child: Child = { name, app, proc, pid: proc.pid!, port, logFile, env };
    this.children.push(child);
    let exited: string | undefined;
    proc.once('exit', (code, signal) => {
      exited = `exited with ${code ?? signal}`;
      if (!this.stopped && !child.stopping) console.error(`[bench] ${name} (pid ${child.pid}) ${exited} unexpectedly; log: ${logFile}`);
    });
    await waitFor(
      async () => {
        if (exited) throw new Error(`${name} ${exited}`);
        return (await getJson(`http://127.0.0.1:${port}/health`)).status === 200;
      },
      30_000,
      `${name} /health on port ${port}`,
    ).catch((e) => {
      throw new Error(`${name} did not become healthy: ${(e as Error).message}`);
    });
    return child;
  }

  /** Stops one child (SIGTERM, then SIGKILL after 8 s) and forgets it. */
  async stopChild(child: Child): Promise<void> {
    const i = this.children.indexOf(child);
    if (i >= 0) this.children.splice(i, 1);
    await killChild(child);
  }

  /** Restarts the gateway with extra env (e.g. EPARA_DIRECT_REPLY=false); the gateway is stateless. */
  async restartGateway(extra: Record<string, string>): Promise<Child> {
    const old = this.gateway;
    const env = { ...old.env, ...extra };
    delete (env as Record<string, string>).EPARA_GATEWAY_PORT;
    await this.stopChild(old);
    const keep = Object.fromEntries(Object.entries(env).filter(([k]) => !(k in this.env) || this.env[k] !== env[k]));
    const g = await this.startChild('gateway', 'gateway', keep, 'EPARA_GATEWAY_PORT');
    // Keep the gateway first, where `gateway` looks.
    this.children.splice(this.children.indexOf(g), 1);
    this.children.unshift(g);
    return g;
  }

  /**
   * Deploys a function (JSON spec referring to a bundled model, or multipart with model bytes) and waits
   * until the gateway says it is ready (GET /v2/models/<name>/ready → 200) and its placement mode is known.
   */
  async deploy(spec: Record<string, unknown>, model?: Uint8Array, readyTimeoutMs = 60_000): Promise<DeployedFunction> {
    let res: Response;
    if (model) {
      const form = new FormData();
      form.set('spec', JSON.stringify(spec));
      form.set('model', new Blob([model]), 'model.onnx');
      res = await gatewayFetch(`${this.gatewayUrl}/v1/functions`, { method: 'POST', body: form });
    } else {
      res = await gatewayFetch(`${this.gatewayUrl}/v1/functions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(spec),
      });
    }
    const text = await res.text();
    if (res.status !== 201) throw new Error(`deploy of ${String(spec.name)} failed: HTTP ${res.status} ${text}`);
    const name = String(spec.name);
    await this.waitReady(name, readyTimeoutMs);
    const record = (await getJson(`${this.gatewayUrl}/v1/functions/${name}`)).body;
    return { name, mode: (await this.placedMode(name)) ?? record.category.mode, record };
  }

  async waitReady(name: string, timeoutMs = 60_000): Promise<void> {
    await waitFor(
      async () => (await getJson(`${this.gatewayUrl}/v2/models/${name}/ready`)).status === 200,
      timeoutMs,
      `${name} ready (GET /v2/models/${name}/ready)`,
    ).catch((e) => {
      this.dumpLogs();
      throw e;
    });
  }

  /** The function's assignments (one per device it is placed on), from GET /v1/placement. */
  async assignments(name: string): Promise<{ device: string; mode: string; maxBatchSize?: number; maxQueueDelayMs?: number }[]> {
    const p = (await getJson(`${this.gatewayUrl}/v1/placement`)).body?.placement ?? [];
    const out = [];
    for (const d of p) for (const a of d.assignments ?? []) if (a.fn === name) out.push({ device: d.device, ...a });
    return out;
  }

  /** The mode the function is placed in (from GET /v1/placement), undefined if not placed. */
  async placedMode(name: string): Promise<string | undefined> {
    const p = (await getJson(`${this.gatewayUrl}/v1/placement`)).body?.placement ?? [];
    for (const d of p) for (const a of d.assignments ?? []) if (a.fn === name) return a.mode;
    return undefined;
  }

  /** Waits until every placed replica of `name` is in `mode` and every worker serves it (e.g. after re-categorization). */
  async waitMode(name: string, mode: string, timeoutMs = 20_000): Promise<boolean> {
    try {
      await waitFor(async () => (await this.placedMode(name)) === mode, timeoutMs, `${name} placed in mode ${mode}`);
      return true;
    } catch {
      return false;
    }
  }

  /** Prints the last lines of every child's log (on failure). */
  dumpLogs(lines = 40): void {
    if (this.dumped) return;
    this.dumped = true;
    for (const f of readdirSync(this.logDir)) {
      const text = readFileSync(join(this.logDir, f), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      console.error(`\n----- ${f} (last ${lines} lines) -----\n${text}`);
    }
  }

  /** Greps the logs of all children for a pattern (e.g. errors after a run). */
  grepLogs(pattern: RegExp): string[] {
    const out: string[] = [];
    for (const f of readdirSync(this.logDir)) {
      for (const line of readFileSync(join(this.logDir, f), 'utf8').split('\n')) if (pattern.test(line)) out.push(`${f}: ${line}`);
    }
    return out;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.o.verbose) this.dumpLogs(200);
    await this.nc?.close().catch(() => undefined);
    // Scheduler and workers first, then the gateway, then NATS.
    for (const c of [...this.children].reverse()) await killChild(c);
    this.children.length = 0;
    await this.nats?.stop().catch(() => undefined);
    // After a failure the whole logs stay for a look (dumpLogs printed only their tails).
    if (this.dumped) console.error(`[bench] the apps' full logs are kept in ${this.logDir}`);
    else rmSync(this.logDir, { recursive: true, force: true });
  }
}

async function killChild(c: Child): Promise<void> {
  c.stopping = true;
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return;
  const exited = new Promise<void>((r) => c.proc.once('exit', () => r()));
  c.proc.kill('SIGTERM');
  const timer = setTimeout(() => c.proc.kill('SIGKILL'), 8_000);
  await exited;
  clearTimeout(timer);
}

/** Starts a cluster, runs `fn`, always stops it (also on Ctrl-C). */
export async function withCluster<T>(o: ClusterOptions, fn: (c: BenchCluster) => Promise<T>): Promise<T> {
  const c = new BenchCluster(o);
  const onSignal = () => {
    void c.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await c.start();
    return await fn(c);
  } catch (e) {
    c.dumpLogs();
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await c.stop();
  }
}

/**
 * A bare NATS responder in its own Node process that answers every request on `subject` with a fixed
 * 64-byte body: the floor one request/reply hop between two processes costs, with no Epara code at all.
 */
export async function startEchoResponder(natsUrl: string, subject: string): Promise<{ pid: number; stop(): Promise<void> }> {
  const script = `
    const { connect } = require('@nats-io/transport-node');
    (async () => {
      const nc = await connect({ servers: ${JSON.stringify(natsUrl)}, name: 'bench-echo' });
      const reply = new Uint8Array(64);
      nc.subscribe(${JSON.stringify(subject)}, { callback: (err, m) => { if (!err) m.respond(reply); } });
      await nc.flush();
      process.stdout.write('ready\\n');
      process.on('SIGTERM', () => nc.close().then(() => process.exit(0)));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const proc = spawn(process.execPath, ['-e', script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((res, rej) => {
    proc.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && res());
    proc.once('exit', (code) => rej(new Error(`echo responder exited with ${code}`)));
  });
  return {
    pid: proc.pid!,
    stop: async () => {
      if (proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

/** The EPARA_* variables of this process's environment (not NATS_URL or ports: the cluster sets those). */
function inheritedEparaEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (k.startsWith('EPARA_') && v !== undefined && !k.endsWith('_PORT')) out[k] = v;
  return out;
}
