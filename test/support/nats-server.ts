import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, NatsConnection } from '@nats-io/transport-node';
import { CredentialSet, natsConnectionSecurity, natsSecurityFromEnv, writeCredentials } from '@epara/nats/security';

/** A free TCP port on 127.0.0.1 (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export function natsServerBinary(): string {
  const candidates = [process.env.NATS_SERVER_BIN, 'nats-server', '/usr/sbin/nats-server', '/usr/bin/nats-server'].filter(
    Boolean,
  ) as string[];
  for (const c of candidates) {
    if (spawnSync(c, ['--version']).status === 0) return c;
  }
  throw new Error('nats-server not found: install it (Debian: apt-get install nats-server) or set NATS_SERVER_BIN');
}

/** The files scripts/gen-tls.mjs makes: a local CA, a server (localhost, 127.0.0.1) and a client certificate. */
export interface TestTls {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

export interface TestNats {
  url: string;
  port: number;
  /** The server's process id (benchmarks pin it to a CPU). */
  pid?: number;
  /** With `mqtt`: the port of the server's MQTT listener. */
  mqttPort?: number;
  /** Stops the server as an outage would; `up` starts it again on the same port with the same JetStream store. */
  down(): Promise<void>;
  up(): Promise<void>;
  /** With `auth`: the role users (scripts/gen-credentials.mjs's writer), one seed file each. */
  credentials?: CredentialSet;
  tls?: TestTls;
  /** The NATS_* variables a client of `user` needs (its credential, inbox prefix, the CA); {} without auth or TLS. */
  clientEnv(user?: string): Record<string, string>;
  /** A connection as `user` (a role name, or a producer added with `producers`), or anonymous without auth. */
  connect(user?: string, name?: string): Promise<NatsConnection>;
  stop(): Promise<void>;
}

export interface NatsServerOptions {
  maxPayload?: string;
  /** The generated role users and their permissions (what npm start runs); off by default. */
  auth?: boolean;
  /** Producer users besides `producer`, each with its own inbox. */
  producers?: string[];
  /** With `auth`: MQTT device users (user name and password). */
  mqttDevices?: string[];
  /**
   * TLS with certificates from scripts/gen-tls.mjs: clients must connect over TLS; `mutual`: and show
   * a client certificate signed by the CA (`verify: true`), which clientEnv then includes.
   */
  tls?: boolean | 'mutual';
  /** The server's MQTT listener on a free port (`mqttPort`); it needs a server name and JetStream. */
  mqtt?: boolean;
}

/** Makes the local CA and certificates with scripts/gen-tls.mjs (what `EPARA_TLS=on npm start` uses). */
export function generateTls(dir: string): TestTls {
  execFileSync(process.execPath, [join(__dirname, '..', '..', 'scripts', 'gen-tls.mjs'), '--out', dir], { stdio: 'pipe' });
  return {
    ca: join(dir, 'ca.pem'),
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server-key.pem'),
    clientCert: join(dir, 'client.pem'),
    clientKey: join(dir, 'client-key.pem'),
  };
}

/** Starts a private nats-server with JetStream and an 8 MB max payload on a free port; tests never use 4222. */
export async function startNats(opts: NatsServerOptions = {}): Promise<TestNats> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'epara-nats-'));
  const conf = join(dir, 'nats.conf');
  // Includes are relative to the config file: the credentials sit beside it.
  const credentials = opts.auth
    ? writeCredentials(join(dir, 'credentials'), { producers: opts.producers, mqttDevices: opts.mqttDevices })
    : undefined;
  const tls = opts.tls ? generateTls(join(dir, 'tls')) : undefined;
  const lines = [`listen: 127.0.0.1:${port}`, `max_payload: ${opts.maxPayload ?? '8MB'}`, `jetstream { store_dir: "${dir}/js" }`];
  if (credentials) lines.push('include "credentials/auth.conf"');
  const mqttPort = opts.mqtt ? await freePort() : undefined;
  if (mqttPort) lines.push(`server_name: epara-test-${port}`, `mqtt { listen: 127.0.0.1:${mqttPort} }`);
  const verify = opts.tls === 'mutual' ? ', verify: true' : '';
  if (tls) lines.push(`tls { cert_file: "${tls.serverCert}", key_file: "${tls.serverKey}", ca_file: "${tls.ca}", timeout: 2${verify} }`);
  writeFileSync(conf, `${lines.join('\n')}\n`);
  const launch = async (): Promise<ChildProcess> => {
    const proc: ChildProcess = spawn(natsServerBinary(), ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`nats-server did not start in 10 s:\n${log}`)), 10_000);
      const onData = (d: Buffer) => {
        log += d.toString();
        if (log.includes('Server is ready')) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', onData);
      proc.once('exit', (code) => reject(new Error(`nats-server exited with ${code}:\n${log}`)));
    });
    return proc;
  };
  const kill = async (p: ChildProcess) => {
    if (p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await exited;
  };
  let proc = await launch();
  const url = `nats://127.0.0.1:${port}`;
  const clientEnv = (user?: string): Record<string, string> => ({
    ...(credentials && user ? credentials.env(user) : {}),
    ...(tls ? { NATS_TLS_CA: tls.ca } : {}),
    ...(tls && opts.tls === 'mutual' ? { NATS_TLS_CERT: tls.clientCert, NATS_TLS_KEY: tls.clientKey } : {}),
  });
  return {
    url,
    port,
    mqttPort,
    pid: proc.pid,
    down: () => kill(proc),
    up: async () => {
      proc = await launch();
    },
    credentials,
    tls,
    clientEnv,
    connect: (user, name = `test-${user ?? 'client'}`) =>
      connect({ ...natsConnectionSecurity(natsSecurityFromEnv(clientEnv(user))).options, servers: url, name }),
    stop: async () => {
      await kill(proc);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
