/**
 * docker/compose.yaml, docker/Dockerfile and .dockerignore checked without a Docker engine (there is none
 * where they were written, nor `docker build --check` or hadolint): each service runs a role
 * scripts/role.mjs knows, each app's healthcheck asks its own /health/ready, the NATS nodes form one
 * cluster, and every credential a service is told to read is a secret it is given, with its user's inbox.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AUTH_INCLUDE_FILE, inboxPrefixFor, NATS_ROLES } from '@epara/nats/security';

// js-yaml is installed with @nestjs/swagger (it writes the OpenAPI document as YAML); it ships no types.
const { load } = createRequire(__filename)('js-yaml') as { load(text: string): unknown };

type SecretRef = string | { source: string; target?: string };
interface Service {
  environment?: Record<string, string>;
  secrets?: SecretRef[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  profiles?: string[];
  volumes?: string[];
  entrypoint?: string[];
  build?: { args?: Record<string, string> };
  sysctls?: Record<string, number | string>;
  deploy?: { resources?: { reservations?: { devices?: { driver: string; count: number; capabilities: string[] }[] } } };
}
interface ComposeFile {
  services: Record<string, Service>;
  secrets: Record<string, { file: string }>;
  volumes: Record<string, unknown>;
}

const here = (...parts: string[]) => join(__dirname, ...parts);
const compose = load(readFileSync(here('compose.yaml'), 'utf8')) as ComposeFile;
const dockerfile = readFileSync(here('Dockerfile'), 'utf8');

/** The roles of scripts/role.mjs's contract: the three apps (scripts/lib/build.mjs APPS) and nats. */
const APP_ROLES = ['gateway', 'worker', 'scheduler'];
const ROLES = [...APP_ROLES, 'nats'];
/** The variable that sets each app's HTTP port (/health, /metrics). */
const PORT_VARIABLE: Record<string, string> = {
  gateway: 'EPARA_GATEWAY_PORT',
  worker: 'EPARA_WORKER_PORT',
  scheduler: 'EPARA_SCHEDULER_PORT',
};

const services = Object.entries(compose.services);
const env = (s: Service) => s.environment ?? {};
const withRole = (...roles: string[]) => services.filter(([, s]) => roles.includes(env(s).EPARA_ROLE));
const natsNodes = withRole('nats');
const apps = withRole(...APP_ROLES);

/**
 * The config scripts/role.mjs would write for a NATS node with this environment (it stops the node on
 * a variable it refuses, and so does this). In a child process: jest's ESM support breaks when two test
 * files of one worker import the same .mjs.
 */
function natsConfigOf(vars: Record<string, string>): string {
  const module = pathToFileURL(join(__dirname, '..', 'scripts', 'lib', 'nats-config.mjs')).href;
  const script = `import(${JSON.stringify(module)}).then((m) => process.stdout.write(m.renderNatsServerConfig(m.natsConfigFromEnv(JSON.parse(process.argv[1])))))`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(vars)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the nats role refuses this environment: ${r.stderr}`);
  return r.stdout;
}

/** Where a service's secret appears inside its container: /run/secrets/<name>, or its absolute target. */
function secretPaths(s: Service): Map<string, string> {
  const paths = new Map<string, string>();
  for (const ref of s.secrets ?? []) {
    const { source, target } = typeof ref === 'string' ? { source: ref, target: undefined } : ref;
    paths.set(target?.startsWith('/') ? target : `/run/secrets/${target ?? source}`, source);
  }
  return paths;
}

/** The declared secret behind a path a service reads, or undefined when the service is not given one there. */
function secretAt(s: Service, path: string): { name: string; file: string } | undefined {
  const name = secretPaths(s).get(path);
  const declared = name === undefined ? undefined : compose.secrets[name];
  return name && declared ? { name, file: declared.file } : undefined;
}

describe('docker/compose.yaml', () => {
  it('runs in every service a role scripts/role.mjs knows, or names its own entrypoint', () => {
    for (const [name, s] of services) {
      const role = env(s).EPARA_ROLE;
      if (role === undefined) expect({ name, entrypoint: s.entrypoint?.[0] }).toEqual({ name, entrypoint: 'node' });
      else expect({ name, role: ROLES.includes(role) }).toEqual({ name, role: true });
    }
    expect(apps.map(([n]) => n).sort()).toEqual(['gateway', 'scheduler', 'scheduler-standby', 'worker-0', 'worker-1', 'worker-gpu']);
  });

  it("checks every app's /health/ready on the port it listens on, after the NATS nodes are healthy", () => {
    for (const [name, s] of apps) {
      const port = env(s)[PORT_VARIABLE[env(s).EPARA_ROLE]];
      expect({ name, port: /^\d+$/.test(port ?? '') }).toEqual({ name, port: true });
      expect({ name, test: s.healthcheck?.test }).toEqual({
        name,
        test: ['CMD', 'node', 'docker/healthcheck.mjs', `http://127.0.0.1:${port}/health/ready`],
      });
      const waitsFor = Object.entries(s.depends_on ?? {}).filter(([, d]) => d.condition === 'service_healthy');
      expect({ name, waitsFor: waitsFor.map(([n]) => n).sort() }).toEqual({ name, waitsFor: natsNodes.map(([n]) => n).sort() });
    }
    expect(existsSync(here('healthcheck.mjs'))).toBe(true);
  });

  it('checks JetStream on each NATS node through its monitoring port', () => {
    for (const [name, s] of natsNodes) {
      expect({ name, test: s.healthcheck?.test }).toEqual({
        name,
        test: ['CMD', 'node', 'docker/healthcheck.mjs', `http://127.0.0.1:${env(s).NATS_MONITOR_PORT}/healthz?js-enabled-only=true`],
      });
    }
  });

  it('makes one cluster of three NATS nodes: own names, routes to the other two, own JetStream volume', () => {
    expect(natsNodes.map(([n]) => n)).toEqual(['nats-1', 'nats-2', 'nats-3']);
    const clusterPort = (s: Service) => env(s).NATS_CLUSTER_LISTEN.split(':').pop();
    for (const [name, s] of natsNodes) {
      const e = env(s);
      // The routes reach the nodes by their service names, so each node's server_name is its service's.
      expect({ name, serverName: e.NATS_SERVER_NAME, cluster: e.NATS_CLUSTER_NAME }).toEqual({ name, serverName: name, cluster: 'epara' });
      const routes = e.NATS_ROUTES.split(',');
      for (const [other, o] of natsNodes.filter(([n]) => n !== name))
        expect({ name, routes }).toEqual({ name, routes: expect.arrayContaining([`nats-route://${other}:${clusterPort(o)}`]) });
      expect({ name, volumes: s.volumes }).toEqual({ name, volumes: [`${name}-jetstream:${e.NATS_JETSTREAM_DIR}`] });
      expect(compose.volumes).toHaveProperty(`${name}-jetstream`);
    }
    const clientUrls = natsNodes.map(([n, s]) => `nats://${n}:${env(s).NATS_LISTEN.split(':').pop()}`).join(',');
    for (const [name, s] of services.filter(([, s]) => env(s).NATS_URL !== undefined))
      expect({ name, url: env(s).NATS_URL }).toEqual({ name, url: clientUrls });
  });

  it('gives each NATS node an environment the nats role accepts, with edge timing and a short TCP give-up', () => {
    for (const [name, s] of natsNodes) {
      const text = natsConfigOf(env(s));
      expect({ name, routes: text.match(/nats-route:\/\//g)?.length, ping: /ping_interval: "1s"/.test(text) }).toEqual({
        name,
        routes: 3,
        ping: true,
      });
      expect({ name, sysctls: s.sysctls }).toEqual({ name, sysctls: { 'net.ipv4.tcp_retries2': 3 } });
    }
  });

  it('gives every service the secret behind each credential path it reads, and no secret inline', () => {
    const pathVariables = ['NATS_NKEY_SEED', 'NATS_INCLUDE', 'EPARA_ADMIN_KEY_FILE'];
    let checked = 0;
    for (const [name, s] of services) {
      const e = env(s);
      for (const variable of pathVariables.filter((v) => e[v] !== undefined)) {
        expect({ name, variable, secret: secretAt(s, e[variable])?.file.startsWith('../.epara/credentials/') }).toEqual({
          name,
          variable,
          secret: true,
        });
        checked++;
      }
      for (const inline of ['EPARA_ADMIN_KEY', 'NATS_PASSWORD', 'NATS_TOKEN'])
        expect({ name, inline: e[inline] }).toEqual({ name, inline: undefined });
    }
    expect(checked).toBe(services.length + 1); // one NATS credential or auth include each, and the gateway's admin key
  });

  it("connects every client as its own user and receives replies under that user's inbox prefix", () => {
    for (const [name, s] of services.filter(([, s]) => env(s).EPARA_ROLE !== 'nats')) {
      const e = env(s);
      const user = basename(secretAt(s, e.NATS_NKEY_SEED)!.file, '.nk');
      expect({ name, inbox: e.NATS_INBOX_PREFIX }).toEqual({ name, inbox: inboxPrefixFor(user) });
      // An app's credential is its role's: the server grants that role's permissions to that user only.
      if (APP_ROLES.includes(e.EPARA_ROLE)) expect({ name, user }).toEqual({ name, user: e.EPARA_ROLE });
    }
    expect(secretAt(compose.services.cli, compose.services.cli.environment!.NATS_NKEY_SEED)?.name).toBe('operator_nkey');
  });

  it('declares the files gen-credentials writes (each role user, the auth include) and the admin key', () => {
    const files = Object.values(compose.secrets).map((s) => s.file);
    expect(files.sort()).toEqual(
      [...NATS_ROLES.map((r) => `${r}.nk`), AUTH_INCLUDE_FILE, 'admin.key'].map((f) => `../.epara/credentials/${f}`).sort(),
    );
    // Of the apps, only the gateway checks API keys: no other app is given the admin key.
    const withAdminKey = apps.filter(([, s]) => [...secretPaths(s).values()].includes('admin_key')).map(([n]) => n);
    expect(withAdminKey).toEqual(['gateway']);
  });

  it('serves a distinct device in each worker; the GPU one behind the gpu profile, with an NVIDIA GPU reserved', () => {
    const workers = withRole('worker');
    const deviceIds = workers.map(([, s]) => env(s).EPARA_DEVICE_ID ?? env(s).EPARA_DEVICE.replace(':', '-'));
    expect(new Set(deviceIds).size).toBe(workers.length);
    const gpu = compose.services['worker-gpu'];
    expect(gpu.profiles).toEqual(['gpu']);
    expect(gpu.environment?.EPARA_DEVICE).toBe('cuda:0');
    expect(gpu.build?.args).toEqual({ GPU: '1' });
    expect(gpu.deploy?.resources?.reservations?.devices).toEqual([{ driver: 'nvidia', count: 1, capabilities: ['gpu'] }]);
    for (const [name, s] of workers.filter(([n]) => n !== 'worker-gpu'))
      expect({ name, profiles: s.profiles }).toEqual({ name, profiles: undefined });
  });
});

describe('docker/Dockerfile', () => {
  it('starts every role through scripts/role.mjs as a user that is not root, with the healthcheck script', () => {
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "scripts\/role\.mjs"\]$/m);
    const users = [...dockerfile.matchAll(/^USER (\S+)$/gm)].map((m) => m[1]);
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
    expect(dockerfile).toMatch(/^COPY docker\/healthcheck\.mjs docker\/healthcheck\.mjs$/m);
  });

  it('keeps the credentials out of the build context (.dockerignore)', () => {
    const ignored = readFileSync(here('..', '.dockerignore'), 'utf8').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['.epara/', 'node_modules/']));
  });
});
