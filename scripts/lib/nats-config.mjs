// nats-server configuration text: one renderer for every config Epara writes (npm start's
// .epara/nats-server.conf, scripts/role.mjs's EPARA_ROLE=nats, the netns test bed). Pure: no files, no env.
import { ScriptError } from './log.mjs';

/** Ports nats-server uses by default: clients, cluster routes, leaf-node connections. */
export const NATS_DEFAULT_LISTEN = '0.0.0.0:4222';

/** A config string value: JSON quoting is valid nats-server syntax and escapes what needs it. */
const quote = (value) => JSON.stringify(String(value));

/**
 * The text of a nats-server config. Every field is optional:
 *   serverName       server_name (JetStream clustering requires one per server)
 *   listen           host:port for clients
 *   monitorPort      the HTTP monitoring port (/varz, /routez, /leafz, /jsz)
 *   maxPayload       e.g. '8MB' (Epara sends tensors inline up to this size)
 *   pingInterval     e.g. '1s': how often the server pings each connection (clients, routes, leaf nodes)
 *   pingMax          unanswered pings after which it closes the connection
 *   writeDeadline    e.g. '2s': how long a write to one connection may block before it is closed as a slow consumer
 *   jetStreamDir     turns JetStream on with its store here
 *   cluster          { name, listen, routes: ['nats-route://host:6222', …] }
 *   leafListen       host:port where leaf nodes connect (the hub side)
 *   leafRemotes      ['nats-leaf://hub:7422', …] (the leaf side)
 *   includes         config files to include; nats-server resolves them relative to the including file
 *   tls              { cert, key, ca, verify }
 */
export function renderNatsServerConfig(o = {}) {
  const lines = [];
  if (o.serverName) lines.push(`server_name: ${quote(o.serverName)}`);
  if (o.listen) lines.push(`listen: ${o.listen}`);
  if (o.monitorPort) lines.push(`http_port: ${o.monitorPort}`);
  if (o.maxPayload) lines.push(`max_payload: ${o.maxPayload}`);
  if (o.pingInterval) lines.push(`ping_interval: ${quote(o.pingInterval)}`);
  if (o.pingMax) lines.push(`ping_max: ${o.pingMax}`);
  if (o.writeDeadline) lines.push(`write_deadline: ${quote(o.writeDeadline)}`);
  if (o.jetStreamDir) lines.push(`jetstream {\n  store_dir: ${quote(o.jetStreamDir)}\n}`);
  if (o.cluster) {
    const { name, listen, routes = [] } = o.cluster;
    if (!name || !listen)
      throw new ScriptError('a NATS cluster needs a name and a listen address (NATS_CLUSTER_NAME, NATS_CLUSTER_LISTEN)');
    const block = [`  name: ${quote(name)}`, `  listen: ${listen}`];
    if (routes.length) block.push(`  routes: [\n${routes.map((r) => `    ${quote(r)}`).join('\n')}\n  ]`);
    lines.push(`cluster {\n${block.join('\n')}\n}`);
  }
  if (o.mqttListen) lines.push(`mqtt {\n  listen: ${quote(o.mqttListen)}\n}`);
  if (o.leafListen || o.leafRemotes?.length) {
    const block = [];
    if (o.leafListen) block.push(`  listen: ${o.leafListen}`);
    if (o.leafRemotes?.length) block.push(`  remotes: [\n${o.leafRemotes.map((u) => `    { url: ${quote(u)} }`).join('\n')}\n  ]`);
    lines.push(`leafnodes {\n${block.join('\n')}\n}`);
  }
  if (o.tls) {
    const verify = o.tls.verify ? '\n  verify: true' : '';
    lines.push(
      `tls {\n  cert_file: ${quote(o.tls.cert)}\n  key_file: ${quote(o.tls.key)}\n  ca_file: ${quote(o.tls.ca)}\n  timeout: 2${verify}\n}`,
    );
  }
  for (const file of o.includes ?? []) lines.push(`include ${quote(file)}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Connection timing for servers across hosts. nats-server's defaults (a ping every 2 minutes, writes
 * blocking up to 10 s) suit a data centre, not edge links: measured on the netns bed, a worker host cut
 * off kept its route open for the whole cut, the writes queued for it blocked the server's internal
 * sends for 10 s — JetStream lost its meta leader on the two servers still connected, so no KV write
 * (heartbeats, placement) went through — and after the link came back TCP's retransmission backoff kept
 * the old route silent for seconds more. A route to a gone host now closes within about 3 s of silence
 * (or 2 s of blocked writes), and a fresh one connects within a second of the link's return.
 */
export const NATS_EDGE_TIMING = { pingInterval: '1s', pingMax: 3, writeDeadline: '2s' };

const DURATION = /^\d+(ms|s|m)$/;

function duration(env, name, fallback) {
  const value = (env[name] ?? '').trim() || fallback;
  if (!DURATION.test(value)) throw new ScriptError(`${name}=${value} is not a duration (e.g. 500ms, 2s, 1m)`);
  return value;
}

const HOST_PORT = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;

function hostPort(env, name, fallback) {
  const value = (env[name] ?? '').trim() || fallback;
  if (value === undefined) return undefined;
  if (!HOST_PORT.test(value)) throw new ScriptError(`${name}=${value} is not host:port (e.g. 0.0.0.0:4222)`);
  return value;
}

function urlList(env, name, scheme) {
  const urls = (env[name] ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  for (const u of urls) {
    if (!u.startsWith(`${scheme}://`))
      throw new ScriptError(
        `${name}: ${u} should be a ${scheme}:// URL (e.g. ${scheme}://10.0.0.2:${scheme === 'nats-leaf' ? 7422 : 6222})`,
      );
  }
  return urls;
}

/**
 * renderNatsServerConfig's options from the EPARA_ROLE=nats variables (README, "Roles"): NATS_SERVER_NAME,
 * NATS_LISTEN, NATS_MONITOR_PORT, NATS_MAX_PAYLOAD, NATS_PING_INTERVAL, NATS_PING_MAX,
 * NATS_WRITE_DEADLINE (defaults: NATS_EDGE_TIMING), NATS_JETSTREAM_DIR, NATS_CLUSTER_NAME,
 * NATS_CLUSTER_LISTEN, NATS_ROUTES, NATS_LEAF_LISTEN, NATS_LEAF_REMOTES. NATS_INCLUDE is the caller's
 * (its path must be made relative to where the config is written). Throws naming a wrong variable.
 */
export function natsConfigFromEnv(env) {
  const monitor = (env.NATS_MONITOR_PORT ?? '').trim();
  if (monitor && !/^\d{1,5}$/.test(monitor)) throw new ScriptError(`NATS_MONITOR_PORT=${monitor} is not a port number`);
  const clusterName = (env.NATS_CLUSTER_NAME ?? '').trim();
  const clusterListen = hostPort(env, 'NATS_CLUSTER_LISTEN');
  const routes = urlList(env, 'NATS_ROUTES', 'nats-route');
  if (!clusterName && (clusterListen || routes.length))
    throw new ScriptError('NATS_CLUSTER_LISTEN and NATS_ROUTES need NATS_CLUSTER_NAME (the same on every server of the cluster)');
  if (clusterName && !clusterListen) throw new ScriptError('NATS_CLUSTER_NAME needs NATS_CLUSTER_LISTEN (e.g. 0.0.0.0:6222)');
  const jetStreamDir = (env.NATS_JETSTREAM_DIR ?? '').trim() || undefined;
  const serverName = (env.NATS_SERVER_NAME ?? '').trim() || undefined;
  if (clusterName && jetStreamDir && !serverName)
    throw new ScriptError('a JetStream cluster needs NATS_SERVER_NAME, different on each server');
  const pingMax = (env.NATS_PING_MAX ?? '').trim() || String(NATS_EDGE_TIMING.pingMax);
  if (!/^[1-9]\d{0,2}$/.test(pingMax)) throw new ScriptError(`NATS_PING_MAX=${pingMax} is not a count of pings (e.g. 3)`);
  return {
    serverName,
    listen: hostPort(env, 'NATS_LISTEN', NATS_DEFAULT_LISTEN),
    monitorPort: monitor ? Number(monitor) : undefined,
    maxPayload: (env.NATS_MAX_PAYLOAD ?? '').trim() || '8MB',
    pingInterval: duration(env, 'NATS_PING_INTERVAL', NATS_EDGE_TIMING.pingInterval),
    pingMax: Number(pingMax),
    writeDeadline: duration(env, 'NATS_WRITE_DEADLINE', NATS_EDGE_TIMING.writeDeadline),
    jetStreamDir,
    cluster: clusterName ? { name: clusterName, listen: clusterListen, routes } : undefined,
    leafListen: hostPort(env, 'NATS_LEAF_LISTEN'),
    leafRemotes: urlList(env, 'NATS_LEAF_REMOTES', 'nats-leaf'),
  };
}
