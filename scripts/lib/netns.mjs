// A multi-host test bed on one Linux machine without Docker: each "host" is a network namespace joined by
// a veth pair to a bridge in the root namespace, on a private /24, running its own nats-server and Epara
// apps through scripts/role.mjs. Links can be cut, restored and impaired (tc netem); everything the bed
// makes is named `ep<pid>n<k>…` so that a bed whose process died is found and removed by the next one.
// Needs root and iproute2 (`ip netns`, `ip link`, `tc`). Used by scripts/netns-bed.mjs and the e2e tests.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromRoot } from './paths.mjs';

const ROLE_SCRIPT = fromRoot('scripts', 'role.mjs');
/** ep<owner pid>n<bed number>: namespaces `<prefix>-h1`, root-side veths `<prefix>h1`, bridge `<prefix>br`. */
const PREFIX_PATTERN = /^ep(\d+)n(\d+)/;
const NATS_PORT = 4222;
const ROUTE_PORT = 6222;
const LEAF_PORT = 7422;
const MONITOR_PORT = 8222;
const GATEWAY_PORT = 8080;
const BRIDGE_HOST = 254;
/** Lines kept per process for post-mortems. */
const KEEP_CHARS = 40_000;

function ip(...args) {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs a command that may fail (deleting what may already be gone); returns whether it worked. */
function tryRun(command, args) {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
};

/** Why a bed cannot be built here (not root, no `ip netns`, no bridge support), or undefined when it can. */
export function netnsUnavailableReason() {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'network namespaces need root (run as root, or in a privileged container)';
  const probe = `epprobe${process.pid}`.slice(0, 15);
  const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (r.status !== 0) return `\`ip netns add\` fails: ${(r.stderr || r.error?.message || '').trim() || 'iproute2 missing?'}`;
  tryRun('ip', ['netns', 'del', probe]);
  return undefined;
}

/** Runs a `tc … netem` command; fails saying what is missing when the kernel or iproute2 lacks netem. */
function netem(command, args) {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  if (r.status === 0) return;
  const why = (r.stderr || r.error?.message || '').trim();
  if (r.error?.code === 'ENOENT' || /unknown/i.test(why))
    throw new Error(`impair() needs tc netem: ${why || 'tc not found'} (install iproute2; the kernel needs the sch_netem module)`);
  throw new Error(`${command} ${args.join(' ')} failed: ${why}`);
}

/** SIGKILLs every process in a namespace (what a bed started there and anything they started). */
function killNamespaceProcesses(ns) {
  const r = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' });
  for (const pid of (r.stdout ?? '').split(/\s+/).filter(Boolean).map(Number)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Namespaces and root-side links of beds, grouped by prefix, with their owner pid. */
function listBeds() {
  const beds = new Map();
  const note = (name, kind) => {
    const m = PREFIX_PATTERN.exec(name);
    if (!m) return;
    const prefix = m[0];
    if (!beds.has(prefix)) beds.set(prefix, { prefix, owner: Number(m[1]), namespaces: [], links: [] });
    beds.get(prefix)[kind].push(name);
  };
  const nsList = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  for (const line of nsList.split('\n')) if (line.trim()) note(line.trim().split(/\s+/)[0], 'namespaces');
  const links = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout ?? '';
  for (const line of links.split('\n')) {
    const name = /^\d+:\s+([^:@\s]+)/.exec(line)?.[1];
    if (name) note(name, 'links');
  }
  return [...beds.values()];
}

function removeBedResources({ prefix, namespaces, links }) {
  for (const ns of namespaces) {
    killNamespaceProcesses(ns);
    tryRun('ip', ['netns', 'del', ns]);
  }
  // Deleting a namespace deletes its veth ends and with them their root-side peers; the bridge stays.
  for (const link of links) tryRun('ip', ['link', 'del', link]);
  // Its files: JetStream stores and server configs.
  for (const entry of readdirSync(tmpdir()))
    if (entry.startsWith(`epara-${prefix}-`)) rmSync(join(tmpdir(), entry), { recursive: true, force: true });
}

/** Removes every bed whose owning process is gone (one killed before it could clean up). Returns their prefixes. */
export function sweepStaleBeds() {
  const stale = listBeds().filter((b) => !alive(b.owner));
  for (const b of stale) removeBedResources(b);
  return stale.map((b) => b.prefix);
}

/** Removes every bed, live or not (`netns-bed.mjs down`): their processes die with their namespaces. */
export function sweepAllBeds() {
  const beds = listBeds();
  for (const b of beds) removeBedResources(b);
  return beds.map((b) => b.prefix);
}

/** A /24 in 10.0.0.0/8 that no address or route here uses, picked from the pid so parallel beds differ. */
function freeSubnet(seed) {
  const used = `${spawnSync('ip', ['-4', 'addr'], { encoding: 'utf8' }).stdout}\n${spawnSync('ip', ['-4', 'route'], { encoding: 'utf8' }).stdout}`;
  for (let i = 0; i < 250; i++) {
    const third = (seed + i) % 250;
    const net = `10.213.${third}`;
    if (!used.includes(`${net}.`)) return net;
  }
  throw new Error('no free /24 in 10.213.0.0/16 for the bed');
}

let bedsMade = 0;
const liveBeds = new Set();
let handlersInstalled = false;

/** Interrupted (Ctrl-C, SIGTERM, a jest worker told to stop) or exiting: no namespace or process outlives us. */
function installCleanupHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => {
    for (const bed of liveBeds) bed.destroySync();
  });
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ]) {
    process.on(signal, () => {
      for (const bed of liveBeds) bed.destroySync();
      process.exit(code);
    });
  }
}

/**
 * TCP retransmissions before a connection with unacknowledged data is dropped, per host (the kernel's
 * default, 15, takes about 15 minutes). nats-server 2.9 never pings a route it keeps writing to (the raft
 * traffic of JetStream does so all the time), so a route to a host cut off stays open for the whole cut
 * and, once the link is back, waits out TCP's retransmission backoff — seconds on which the rejoined host
 * got no message from the others. With 3 the route drops about 3 s into a cut and a fresh one connects
 * within a second of the link's return. docker/compose.yaml sets the same on each NATS container.
 */
export const TCP_RETRIES2 = 3;

function giveUpOnSilentPeers(ns) {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', `net.ipv4.tcp_retries2=${TCP_RETRIES2}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cannot set net.ipv4.tcp_retries2 in ${ns}: ${(r.stderr || r.error?.message || '').trim()}`);
}

/** A process the bed started in a host's namespace (nats-server or an app, through scripts/role.mjs). */
class BedProcess {
  constructor(host, name, role, env) {
    this.host = host;
    this.name = name;
    this.role = role;
    this.env = env;
    this.log = '';
    // Own process group: kill() reaches role.mjs and the server or app it runs.
    this.proc = spawn('ip', ['netns', 'exec', host.ns, process.execPath, ROLE_SCRIPT], {
      env: { ...process.env, ...env, EPARA_ROLE: role },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const keep = (d) => (this.log = (this.log + d.toString()).slice(-KEEP_CHARS));
    this.proc.stdout.on('data', keep);
    this.proc.stderr.on('data', keep);
    this.exited = new Promise((resolve) => this.proc.once('exit', (code, signal) => resolve(code ?? signal)));
  }

  get running() {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async waitForLog(marker, timeoutMs = 30_000) {
    const until = Date.now() + timeoutMs;
    while (!marker.test(this.log)) {
      if (!this.running)
        throw new Error(`${this.name} on ${this.host.name} exited (${this.proc.exitCode ?? this.proc.signalCode}):\n${this.log}`);
      if (Date.now() > until) throw new Error(`${this.name} on ${this.host.name} did not log ${marker} in ${timeoutMs} ms:\n${this.log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  signal(signal) {
    if (!this.running) return;
    try {
      process.kill(-this.proc.pid, signal);
    } catch {
      // the group is gone
    }
  }

  async stop(graceMs = 5000) {
    if (!this.running) return;
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

export class NetnsBed {
  /**
   * Builds `hostCount` hosts h1…hN: namespace `<prefix>-h<i>` with eth0 at `<net>.<i>/24`, its veth peer
   * `<prefix>h<i>` on bridge `<prefix>br` (`<net>.254` in the root namespace, so this process reaches
   * every host). Removes stale beds first.
   */
  static create(hostCount) {
    const why = netnsUnavailableReason();
    if (why) throw new Error(`cannot build a netns bed: ${why}`);
    sweepStaleBeds();
    installCleanupHandlers();
    const bed = new NetnsBed(`ep${process.pid}n${++bedsMade}`, freeSubnet(process.pid + bedsMade));
    liveBeds.add(bed);
    try {
      bed.build(hostCount);
    } catch (e) {
      bed.destroySync();
      throw e;
    }
    return bed;
  }

  constructor(prefix, net) {
    this.prefix = prefix;
    this.net = net;
    this.bridge = `${prefix}br`;
    this.hosts = [];
    this.procs = [];
    this.dir = mkdtempSync(join(tmpdir(), `epara-${prefix}-`));
  }

  build(hostCount) {
    ip('link', 'add', this.bridge, 'type', 'bridge');
    ip('addr', 'add', `${this.net}.${BRIDGE_HOST}/24`, 'dev', this.bridge);
    ip('link', 'set', this.bridge, 'up');
    for (let i = 1; i <= hostCount; i++) {
      const name = `h${i}`;
      const host = { name, ns: `${this.prefix}-${name}`, veth: `${this.prefix}${name}`, ip: `${this.net}.${i}` };
      host.natsUrl = `nats://${host.ip}:${NATS_PORT}`;
      ip('netns', 'add', host.ns);
      ip('link', 'add', host.veth, 'type', 'veth', 'peer', 'name', `${host.veth}p`);
      ip('link', 'set', `${host.veth}p`, 'netns', host.ns);
      ip('-n', host.ns, 'link', 'set', `${host.veth}p`, 'name', 'eth0');
      ip('-n', host.ns, 'addr', 'add', `${host.ip}/24`, 'dev', 'eth0');
      ip('-n', host.ns, 'link', 'set', 'eth0', 'up');
      ip('-n', host.ns, 'link', 'set', 'lo', 'up');
      giveUpOnSilentPeers(host.ns);
      ip('link', 'set', host.veth, 'master', this.bridge, 'up');
      this.hosts.push(host);
    }
  }

  host(name) {
    const h = this.hosts.find((x) => x.name === name);
    if (!h) throw new Error(`no host ${name} in bed ${this.prefix} (hosts: ${this.hosts.map((x) => x.name).join(', ')})`);
    return h;
  }

  /** Starts `role` (nats, gateway, worker, scheduler) on `host` through scripts/role.mjs with `env`. */
  start(hostName, name, role, env = {}) {
    const p = new BedProcess(this.host(hostName), name, role, env);
    this.procs.push(p);
    return p;
  }

  /** The running processes called `name` on `host`. */
  find(hostName, name) {
    return this.procs.filter((p) => p.host.name === hostName && p.name === name && p.running);
  }

  /** SIGKILLs `name` on `host`: a crash, no drain. */
  async kill(hostName, name) {
    const targets = this.find(hostName, name);
    if (!targets.length) throw new Error(`nothing called ${name} runs on ${hostName}`);
    for (const p of targets) {
      p.signal('SIGKILL');
      await p.exited;
    }
  }

  /**
   * Starts `name` on `host` again, as it was first started (same role and environment: a worker keeps
   * its device id, a server its config), after a kill. Resolves once it logs that it is up.
   */
  async restart(hostName, name, timeoutMs = 60_000) {
    if (this.find(hostName, name).length) throw new Error(`${name} still runs on ${hostName}: kill it first`);
    const last = this.procs.filter((p) => p.host.name === hostName && p.name === name).at(-1);
    if (!last) throw new Error(`nothing called ${name} ever ran on ${hostName}`);
    const p = this.start(hostName, name, last.role, last.env);
    if (last.role === 'nats') await this.waitForNats(hostName, timeoutMs);
    else await p.waitForLog(/ up;| listening on http/, timeoutMs);
    return p;
  }

  /** Link down between the host and the bridge: its processes keep running but reach no other host. */
  cut(hostName) {
    ip('link', 'set', this.host(hostName).veth, 'down');
  }

  restore(hostName) {
    ip('link', 'set', this.host(hostName).veth, 'up');
  }

  /**
   * tc netem on both ends of the host's link: each direction gets `delayMs` (a round trip 2 ×) and drops
   * `lossPct` percent; no delay and no loss removes the impairment.
   */
  impair(hostName, { delayMs = 0, lossPct = 0 } = {}) {
    const h = this.host(hostName);
    // The root-side end delays what the host receives, its eth0 what it sends.
    const ends = [
      { command: 'tc', pre: [], dev: h.veth },
      { command: 'ip', pre: ['netns', 'exec', h.ns, 'tc'], dev: 'eth0' },
    ];
    for (const { command, pre, dev } of ends) {
      if (!delayMs && !lossPct) tryRun(command, [...pre, 'qdisc', 'del', 'dev', dev, 'root']);
      else netem(command, [...pre, 'qdisc', 'replace', 'dev', dev, 'root', 'netem', 'delay', `${delayMs}ms`, 'loss', `${lossPct}%`]);
    }
  }

  /** Stops every process (SIGTERM, SIGKILL after the grace period), then removes namespaces, links and files. */
  async destroy(graceMs = 5000) {
    await Promise.all(this.procs.map((p) => p.stop(graceMs)));
    this.destroySync();
  }

  /** The synchronous last resort (exit and signal handlers): SIGKILL everything, remove everything. */
  destroySync() {
    for (const p of this.procs) p.signal('SIGKILL');
    removeBedResources({
      prefix: this.prefix,
      namespaces: this.hosts.map((h) => h.ns),
      links: [this.bridge, ...this.hosts.map((h) => h.veth)],
    });
    liveBeds.delete(this);
  }

  /**
   * Polls the host server's monitoring endpoint `path` every 200 ms until `done(response)` says so;
   * throws `failure` with the last answer seen after `timeoutMs`.
   */
  async pollMonitor(hostName, path, done, timeoutMs, failure) {
    const h = this.host(hostName);
    const until = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < until) {
      try {
        const res = await fetch(`http://${h.ip}:${MONITOR_PORT}${path}`, { signal: AbortSignal.timeout(1000) });
        const ok = await done(res);
        if (ok === true) return;
        last = ok.slice(0, 200);
      } catch (e) {
        last = e.message;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${failure} in ${timeoutMs} ms: ${last}`);
  }

  /**
   * Waits until the host's server says it is healthy on its monitoring port (`/healthz`: with JetStream,
   * once it knows the meta leader and can serve JetStream requests, which the apps need at start).
   */
  waitForNats(hostName, timeoutMs = 30_000) {
    return this.pollMonitor(
      hostName,
      '/healthz',
      async (res) => res.ok || (await res.text()),
      timeoutMs,
      `nats-server on ${hostName} (${this.host(hostName).ip}) not healthy`,
    );
  }

  /** Waits until a site's server has its leaf connection to the hub up. */
  waitForLeaf(hostName, timeoutMs = 20_000) {
    return this.pollMonitor(
      hostName,
      '/leafz',
      async (res) => {
        const body = await res.json();
        return body.leafnodes > 0 || JSON.stringify(body);
      },
      timeoutMs,
      `the leaf node on ${hostName} did not connect to the hub`,
    );
  }

  /** Addresses, for the CLI and for logs. */
  describe() {
    return {
      prefix: this.prefix,
      subnet: `${this.net}.0/24`,
      bridge: `${this.bridge} ${this.net}.${BRIDGE_HOST}`,
      hosts: this.hosts.map((h) => ({
        name: h.name,
        namespace: h.ns,
        ip: h.ip,
        nats: h.natsUrl,
        monitor: `http://${h.ip}:${MONITOR_PORT}`,
      })),
      gateway: this.gatewayUrl,
      processes: this.procs.filter((p) => p.running).map((p) => `${p.name}@${p.host.name}`),
    };
  }

  // ---- topologies -----------------------------------------------------------------------------------

  /** nats-server on a host: clients on 0.0.0.0:4222 (apps of the host use 127.0.0.1), monitoring on 8222. */
  startNats(hostName, env) {
    mkdirSync(join(this.dir, hostName), { recursive: true });
    return this.start(hostName, 'nats', 'nats', {
      NATS_CONFIG_FILE: join(this.dir, hostName, 'nats-server.conf'),
      NATS_SERVER_NAME: hostName,
      NATS_LISTEN: `0.0.0.0:${NATS_PORT}`,
      NATS_MONITOR_PORT: String(MONITOR_PORT),
      ...env,
    });
  }

  /**
   * The apps of a topology: gateway and scheduler on the first host, one worker per other host (device
   * `<host>-cpu-0`), each connected to its own host's server unless `workerNatsUrl` says where workers
   * connect. Resolves once each logged that it is up.
   */
  async startApps(appHost, workerHosts, appEnv, { workerNatsUrl } = {}) {
    const env = { NATS_URL: `nats://127.0.0.1:${NATS_PORT}`, ...appEnv };
    const up = (p) => p.waitForLog(/ up;| listening on http/, 60_000);
    // The gateway first: it creates the buckets. On a JetStream cluster a replicated bucket answers reads
    // (direct get) only once each replica runs, and an app reading one created a moment before by
    // another gets no responders, which nats.js reports as "jetstream is not enabled".
    await up(
      this.start(appHost, 'gateway', 'gateway', { ...env, EPARA_GATEWAY_HOST: '0.0.0.0', EPARA_GATEWAY_PORT: String(GATEWAY_PORT) }),
    );
    this.gatewayUrl = `http://${this.host(appHost).ip}:${GATEWAY_PORT}`;
    const scheduler = this.start(appHost, 'scheduler', 'scheduler', env);
    const workers = workerHosts.map((h) =>
      this.start(h, 'worker', 'worker', {
        ...env,
        ...(workerNatsUrl ? { NATS_URL: workerNatsUrl } : {}),
        EPARA_DEVICE: 'cpu:0',
        EPARA_DEVICE_ID: deviceOf(h),
      }),
    );
    await Promise.all([scheduler, ...workers].map(up));
  }
}

/** Workers' device ids in a topology (`<host>-cpu-0`). */
export const deviceOf = (hostName) => `${hostName}-cpu-0`;

/**
 * cluster: 3 hosts, a 3-node NATS cluster (routes, JetStream on each, buckets replicated 3 times);
 * gateway + scheduler on h1, workers on h2 and h3. `appEnv` goes to every app.
 */
export async function upCluster({ appEnv = {}, hosts = 3 } = {}) {
  const bed = NetnsBed.create(hosts);
  try {
    const names = bed.hosts.map((h) => h.name);
    for (const h of bed.hosts) {
      bed.startNats(h.name, {
        NATS_JETSTREAM_DIR: join(bed.dir, h.name, 'js'),
        NATS_CLUSTER_NAME: 'epara',
        NATS_CLUSTER_LISTEN: `0.0.0.0:${ROUTE_PORT}`,
        NATS_ROUTES: bed.hosts
          .filter((o) => o !== h)
          .map((o) => `nats-route://${o.ip}:${ROUTE_PORT}`)
          .join(','),
      });
    }
    await Promise.all(names.map((n) => bed.waitForNats(n)));
    await bed.startApps(names[0], names.slice(1), { EPARA_JETSTREAM_REPLICAS: String(Math.min(hosts, 3)), ...appEnv });
    return bed;
  } catch (e) {
    await bed.destroy(1000);
    throw e;
  }
}

/**
 * edge: h1 is the hub (JetStream, leaf-node listener), h2… are sites whose servers are leaf nodes of it,
 * where producers connect. Gateway + scheduler on the hub, one worker per site. The workers connect to
 * the hub's server across the network, not to their site's: nats-server (2.9) denies JetStream's
 * subjects ($JS.API.>, $KV.>, $OBJ.>) on a leaf connection within one JetStream domain, and the apps
 * keep their state in JetStream (a site-local worker would need the apps to speak a JetStream domain).
 */
export async function upEdge({ appEnv = {}, sites = 2 } = {}) {
  const bed = NetnsBed.create(sites + 1);
  try {
    const [hub, ...siteHosts] = bed.hosts;
    bed.startNats(hub.name, { NATS_JETSTREAM_DIR: join(bed.dir, hub.name, 'js'), NATS_LEAF_LISTEN: `0.0.0.0:${LEAF_PORT}` });
    await bed.waitForNats(hub.name);
    for (const s of siteHosts) bed.startNats(s.name, { NATS_LEAF_REMOTES: `nats-leaf://${hub.ip}:${LEAF_PORT}` });
    await Promise.all(siteHosts.map((s) => bed.waitForLeaf(s.name)));
    await bed.startApps(
      hub.name,
      siteHosts.map((s) => s.name),
      appEnv,
      { workerNatsUrl: hub.natsUrl },
    );
    return bed;
  } catch (e) {
    await bed.destroy(1000);
    throw e;
  }
}
