#!/usr/bin/env node
// `npm start` on a fresh machine: installs dependencies, fetches the models, builds when the sources changed,
// uses the NATS at NATS_URL (or starts the bundled nats-server), starts the gateway, the scheduler and
// EPARA_WORKERS workers as child processes with prefixed logs, deploys the demo functions and prints how
// to call them. Ctrl-C / SIGTERM stops everything it started. See docs/operations-scripts.md.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { relative } from 'node:path';
import {
  appEntry,
  bundledNatsServerCommand,
  color,
  DEFAULT_NATS_URL,
  ensureBuild,
  ensureDeps,
  ensureModels,
  ensureNatsServerBinary,
  fromRoot,
  isLoopbackHost,
  jetStreamOffMessage,
  parseNatsUrl,
  probeNats,
  repoRoot,
  runMain,
  ScriptError,
  step,
  Supervisor,
  warn,
} from './lib/index.mjs';
import { banner, deployDemoFunctions } from './lib/demo.mjs';
import { authHeaders, ensureAdminKey } from './lib/api-key.mjs';
import { ensureCredentials } from './lib/credentials.mjs';
import { ensureTlsFiles } from './lib/tls.mjs';
import { renderNatsServerConfig } from './lib/nats-config.mjs';

const HEALTH_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;
const BUNDLED_MAX_PAYLOAD = 8 * 1024 * 1024;
const BUNDLED_MONITOR_PORT = 8222;

function intEnv(name, fallback, min, max) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ScriptError(`${name}=${raw} is not an integer from ${min} to ${max}`);
  return n;
}

function readSettings() {
  const workers = intEnv('EPARA_WORKERS', 2, 1, 64);
  const workerBase = intEnv('EPARA_WORKER_PORT', 9101, 1, 65535 - workers);
  return {
    natsUrl: process.env.NATS_URL || DEFAULT_NATS_URL,
    gatewayPort: intEnv('EPARA_GATEWAY_PORT', 8080, 1, 65535),
    // Where this machine reaches the gateway: its bind address unless that is every interface.
    gatewayHost: ['', '0.0.0.0', '::'].includes(process.env.EPARA_GATEWAY_HOST ?? '') ? '127.0.0.1' : process.env.EPARA_GATEWAY_HOST,
    schedulerPort: intEnv('EPARA_SCHEDULER_PORT', 9100, 1, 65535),
    workerPorts: Array.from({ length: workers }, (_, i) => workerBase + i),
    threads: String(intEnv('EPARA_THREADS', 1, 1, 256)),
    demo: !['1', 'true'].includes(process.env.EPARA_NO_DEMO ?? ''),
  };
}

/** Resolves with the port when it is free (0: any free port, as the OS picks it), else undefined. */
function freePort(port) {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(undefined));
    srv.listen(port, () => {
      const { port: bound } = srv.address();
      srv.close(() => resolve(bound));
    });
  });
}

/** Fails before starting anything when a port the apps need is taken (an earlier npm start still running?). */
async function checkPortsFree(s) {
  const wanted = [
    [s.gatewayPort, 'EPARA_GATEWAY_PORT'],
    [s.schedulerPort, 'EPARA_SCHEDULER_PORT'],
    ...s.workerPorts.map((p, i) => [p, `EPARA_WORKER_PORT${i ? ` + ${i}` : ''}`]),
  ];
  const busy = [];
  for (const [port, name] of wanted) if (!(await freePort(port))) busy.push(`${port} (${name})`);
  if (!busy.length) return;
  let who = '';
  if (busy[0].startsWith(`${s.gatewayPort} `)) {
    try {
      const res = await fetch(`http://127.0.0.1:${s.gatewayPort}/health`, { signal: AbortSignal.timeout(1000) });
      if ('nats' in (await res.json())) who = ` An Epara gateway already answers on ${s.gatewayPort}: is another npm start running?`;
    } catch {
      // not an Epara gateway
    }
  }
  throw new ScriptError(
    `port${busy.length > 1 ? 's' : ''} ${busy.join(', ')} already in use.${who} Stop what uses them, or set the variables named to other ports`,
  );
}

function checkServer(natsUrl, info) {
  if (!info.jetstream) throw new ScriptError(jetStreamOffMessage(natsUrl));
  if (info.max_payload < BUNDLED_MAX_PAYLOAD) {
    warn(
      `the NATS server at ${natsUrl} has max_payload ${(info.max_payload / 1048576).toFixed(1)} MB (the bundled config has 8 MB): larger inputs, e.g. big images, will be refused`,
    );
  }
}

/** Throws when what answers at natsUrl cannot serve Epara; returns what it found, or undefined for nothing. */
async function usableNats(natsUrl) {
  const probe = await probeNats(natsUrl);
  const { host, port } = parseNatsUrl(natsUrl);
  if (probe.kind === 'none') return undefined;
  if (probe.kind === 'other') {
    if (!isLoopbackHost(host)) throw new ScriptError(`NATS_URL=${natsUrl} does not lead to a NATS server: ${probe.detail}`);
    throw new ScriptError(
      `${probe.detail}. Port ${port} is taken by something that is not NATS: free it, or set NATS_URL to another port (npm start then runs its own nats-server there)`,
    );
  }
  checkServer(natsUrl, probe.info);
  return probe.info;
}

/**
 * Decides, before the slow steps, how NATS will be had: the server at natsUrl when it answers with JetStream,
 * else a nats-server binary (found or installed) to start there. Fails early on anything that cannot work.
 */
async function planNats(natsUrl) {
  const info = await usableNats(natsUrl);
  if (info) return { existing: info };
  const { host, port } = parseNatsUrl(natsUrl);
  if (!isLoopbackHost(host)) {
    throw new ScriptError(
      `no NATS server answers at NATS_URL=${natsUrl}. Start it, or unset NATS_URL to let npm start run one on 127.0.0.1:4222`,
    );
  }
  const bin = ensureNatsServerBinary();
  // Installing the distribution's package may have started its service on this very port (without JetStream).
  const started = await usableNats(natsUrl);
  if (started) return { existing: started };
  const monitorPort = (await freePort(BUNDLED_MONITOR_PORT)) ?? (await freePort(0));
  if (monitorPort !== BUNDLED_MONITOR_PORT)
    warn(`port ${BUNDLED_MONITOR_PORT} (nats-server monitoring in config/nats-server.conf) is in use: monitoring goes to ${monitorPort}`);
  const wantedMqtt = Number(process.env.EPARA_MQTT_PORT ?? DEFAULT_MQTT_PORT);
  if (!Number.isInteger(wantedMqtt) || wantedMqtt < 0 || wantedMqtt > 65535)
    throw new ScriptError(`EPARA_MQTT_PORT=${process.env.EPARA_MQTT_PORT}: use a port number (0 turns the MQTT ingress off)`);
  const mqttPort = wantedMqtt === 0 ? undefined : await freePort(wantedMqtt);
  if (wantedMqtt !== 0 && mqttPort === undefined)
    warn(`port ${wantedMqtt} is in use (another MQTT broker?): Epara's MQTT ingress stays off; set EPARA_MQTT_PORT to another port`);
  return { bin, port, monitorPort, mqttPort };
}

/** The MQTT listener of the nats-server npm start runs (the MQTT ingress: README "MQTT topics"). */
const DEFAULT_MQTT_PORT = 1883;

/**
 * nats-server's MQTT listener needs a server name (and JetStream). MQTT devices log in with a user and
 * password, which the generated nkey role users cannot give: with authorization on it stays off.
 */
function mqttSettings(plan, auth) {
  if (plan.mqttPort === undefined) return {};
  const who = auth ? 'devices log in with a user name and password; a demo one is in .epara/credentials/' : 'anyone may connect';
  step(
    `MQTT ingress on 127.0.0.1:${plan.mqttPort} (${who}): requests on epara/v1/mqtt/<fn>/<client>, answers on epara/v1/reply/<client>/<fn>`,
  );
  return { serverName: 'epara-local', mqttListen: `127.0.0.1:${plan.mqttPort}` };
}

/** Uses the planned server, or starts the bundled nats-server; returns how the banner describes it. */
async function ensureNats(natsUrl, plan, supervisor, config) {
  if (plan.existing) {
    step(`using the NATS server at ${natsUrl} (nats-server ${plan.existing.version}, JetStream on)`);
    return 'already running; npm start leaves it running';
  }
  step(`starting nats-server on 127.0.0.1:${plan.port} (${config ?? 'config/nats-server.conf'}, JetStream store .epara/nats) …`);
  const { command, args, cwd } = bundledNatsServerCommand(plan.bin, plan.port, plan.monitorPort, config);
  // Its start-up banner is long: print warnings, errors and the shutdown; a failure shows the whole log.
  const echo = (line) => /\[(WRN|ERR|FTL)\]|Shutdown|Exiting/.test(line);
  const child = supervisor.spawn('nats', command, args, { cwd, infra: true, echo });
  try {
    await supervisor.waitForLine(child, /Server is ready/, 15_000);
  } catch (e) {
    if (child.running) printLastLines(supervisor, child, 15); // when it exited, onUnexpectedExit showed them
    throw new ScriptError(`nats-server did not start (${e.message}); its log is above`);
  }
  const ready = await probeNats(natsUrl);
  if (ready.kind !== 'nats') throw new ScriptError(`nats-server says it is ready but ${natsUrl} does not answer: ${ready.detail}`);
  checkServer(natsUrl, ready.info);
  step(`nats-server ${ready.info.version} ready at ${natsUrl} (JetStream on; monitoring http://127.0.0.1:${plan.monitorPort})`);
  return 'started by npm start; it stops with it';
}

function startApps(s, supervisor, security, admin) {
  const env = { ...process.env, NATS_URL: s.natsUrl };
  // Each app connects with its role's credential (security.appEnv: NATS_NKEY_SEED, NATS_INBOX_PREFIX, NATS_TLS_CA).
  const app = (name, entry, extra) =>
    supervisor.spawn(name, process.execPath, [appEntry(entry)], { cwd: repoRoot, env: { ...env, ...security.appEnv(entry), ...extra } });
  // Only the gateway checks API keys: the others never see the admin key.
  app('gateway', 'gateway', {
    EPARA_GATEWAY_PORT: String(s.gatewayPort),
    ...security.gatewayEnv,
    ...(admin ? { EPARA_ADMIN_KEY: admin.key } : {}),
  });
  app('scheduler', 'scheduler', { EPARA_SCHEDULER_PORT: String(s.schedulerPort) });
  s.workerPorts.forEach((port, i) =>
    app(`worker-${i}`, 'worker', { EPARA_DEVICE: `cpu:${i}`, EPARA_WORKER_PORT: String(port), EPARA_THREADS: s.threads }),
  );
}

// ---- NATS security: role credentials (EPARA_AUTH) and TLS (EPARA_TLS) --------------------------------

/** The generated server config: the bundled one, plus the role users and the TLS block when on. */
const SECURED_CONFIG = '.epara/nats-server.conf';
const CA_ENV_MARK = 'EPARA_START_TRUSTS_CA';

/** EPARA_AUTH (default on; `off` opts out) and EPARA_TLS (default off; `on`). */
function readSecuritySettings() {
  const flag = (name, fallback) => {
    const raw = (process.env[name] ?? '').trim().toLowerCase();
    if (raw === '') return fallback;
    if (['on', 'true', '1'].includes(raw)) return true;
    if (['off', 'false', '0'].includes(raw)) return false;
    throw new ScriptError(`${name}=${process.env[name]}: use on or off`);
  };
  return { auth: flag('EPARA_AUTH', true), tls: flag('EPARA_TLS', false) };
}

/**
 * With TLS on, the gateway answers HTTPS with a certificate of the local CA. Node's fetch (the health
 * check, the demo deploys) trusts extra CAs only from NODE_EXTRA_CA_CERTS at start, so npm start runs
 * itself again with it set. The second run has its own process group, so a Ctrl-C reaches it once,
 * through this one, which passes on every signal and exits with its code.
 */
function rerunTrustingLocalCa() {
  if (process.env[CA_ENV_MARK]) return false;
  const files = ensureTlsFiles(fromRoot('.epara', 'tls'));
  const child = spawn(process.execPath, process.argv.slice(1), {
    stdio: 'inherit',
    detached: true,
    env: { ...process.env, NODE_EXTRA_CA_CERTS: files.ca, [CA_ENV_MARK]: '1' },
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.once('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  return true;
}

/**
 * Credentials and certificates for a nats-server that npm start runs: writes them on first start (kept
 * afterwards), and the server config that includes them. Returns what the apps and the banner need.
 */
function prepareNatsSecurity(settings, plan) {
  const none = { config: undefined, appEnv: () => ({}), gatewayEnv: {}, credentials: undefined, tls: undefined };
  if (!settings.auth) {
    warn(
      color.bold(
        'EPARA_AUTH=off: NATS runs WITHOUT authorization. Any client can delete functions, fake device heartbeats and read every request. Use it only on a trusted machine.',
      ),
    );
  }
  if (plan.existing) {
    if (settings.auth || settings.tls)
      warn(
        `npm start did not start the NATS server at its URL, so it cannot give it Epara's users or TLS: its own configuration applies; the apps connect with the NATS_* variables of this environment (NATS_CREDS, NATS_NKEY_SEED, NATS_TLS_CA, …)`,
      );
    return none;
  }
  const credentials = settings.auth ? ensureCredentials() : undefined;
  const tls = settings.tls ? ensureTlsFiles(fromRoot('.epara', 'tls')) : undefined;
  if (credentials) step(`NATS authorization on: role users in ${relative(repoRoot, credentials.dir)} (EPARA_AUTH=off turns it off)`);
  if (tls) step(`NATS over TLS and gateway HTTPS on: certificates of a local CA in ${relative(repoRoot, tls.dir)}`);
  // Includes are relative to the including file (.epara/).
  const configText = renderNatsServerConfig({
    ...mqttSettings(plan, settings.auth),
    includes: ['../config/nats-server.conf', ...(credentials ? ['credentials/auth.conf'] : [])],
    tls: tls && { cert: tls.serverCert, key: tls.serverKey, ca: tls.ca },
  });
  mkdirSync(fromRoot('.epara'), { recursive: true }); // a first start with EPARA_AUTH=off has made nothing there yet
  writeFileSync(
    fromRoot(SECURED_CONFIG),
    `# Written by npm start (scripts/start.mjs) at each start: the bundled config, users, TLS.\n${configText}`,
    {
      mode: 0o600,
    },
  );
  const tlsEnv = tls ? { NATS_TLS_CA: tls.ca } : {};
  return {
    config: SECURED_CONFIG,
    appEnv: (role) => ({ ...(credentials ? credentials.env(role) : {}), ...tlsEnv }),
    gatewayEnv: tls ? { EPARA_HTTPS_CERT: tls.serverCert, EPARA_HTTPS_KEY: tls.serverKey } : {},
    credentials,
    tls,
    mqttPort: plan.mqttPort,
  };
}

/** How a producer and an operator connect, for the banner. */
function securityBanner(security, natsUrl, gatewayUrl) {
  const { credentials, tls } = security;
  if (!credentials && !tls) return '';
  const h = color.bold;
  const tlsFlag = tls ? ` --tlsca ${relative(repoRoot, tls.ca)}` : '';
  const lines = [h('NATS security') + ` (README, "Security"):`];
  if (credentials) {
    const rel = (name) => relative(repoRoot, credentials.user(name).seedFile);
    lines.push(
      `  credentials ${relative(repoRoot, credentials.dir)}/ — one nkey seed per role (gateway, worker, scheduler, operator, producer); rotate: node scripts/gen-credentials.mjs --rotate, then restart`,
    );
    lines.push(
      `  producer    nats --server ${natsUrl} --nkey ${rel('producer')} --inbox-prefix _INBOX_producer${tlsFlag} req epara.v1.invoke.<fn> …`,
    );
    lines.push(`  operator    npm run epara -- --nkey ${rel('operator')} --inbox-prefix _INBOX_operator${tlsFlag} micro ls`);
    const mqtt = credentials.mqttDevices?.[0];
    if (mqtt && security.mqttPort)
      lines.push(
        `  MQTT device mosquitto_pub -p ${security.mqttPort} -u ${mqtt.name} -P "$(cat ${relative(repoRoot, mqtt.passwordFile)})" -q 1 -t epara/v1/mqtt/mlp/${mqtt.name} -f body.json   (answers: mosquitto_sub … -t 'epara/v1/reply/${mqtt.name}/#')`,
      );
  } else if (tls) {
    lines.push(`  TLS         nats --server ${natsUrl}${tlsFlag} …`);
  }
  if (tls) lines.push(`  HTTPS       curl --cacert ${relative(repoRoot, tls.ca)} ${gatewayUrl.replace('127.0.0.1', 'localhost')}/health`);
  return `${lines.join('\n')}\n`;
}

async function waitForHealth(url, timeoutMs) {
  const until = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < until) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) return;
      last = `HTTP ${res.status} ${(await res.text()).slice(0, 200)}`;
    } catch (e) {
      last = e.cause?.code ?? e.message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`GET ${url} did not answer 200 within ${timeoutMs / 1000} s (last: ${last})`);
}

function printLastLines(supervisor, child, n) {
  console.error(color.bold(`--- last ${n} lines of ${child.name} ---`));
  for (const line of supervisor.lastLines(child, n)) console.error(`  ${line}`);
}

runMain(async () => {
  const s = readSettings();
  const securitySettings = readSecuritySettings();
  if (securitySettings.tls && rerunTrustingLocalCa()) return new Promise(() => {}); // the second run does the work
  // First what takes milliseconds and can fail on this machine's state; then the steps that may take minutes.
  await checkPortsFree(s);
  const natsPlan = await planNats(s.natsUrl);
  ensureDeps();
  ensureModels();
  ensureBuild();
  const admin = ensureAdminKey();
  const security = prepareNatsSecurity(securitySettings, natsPlan);

  let stopping = false;
  let running = false; // start-up done: from then on a child's exit stops everything
  let failStartup;
  const startupFailed = new Promise((_, reject) => (failStartup = reject));
  startupFailed.catch(() => {}); // handled where start-up steps race against it
  const supervisor = new Supervisor({
    onUnexpectedExit: (child, code, signal) => {
      const how = signal ?? `code ${code}`;
      console.error(`${color.red('✖')} ${child.name} exited unexpectedly (${how}); stopping everything.`);
      printLastLines(supervisor, child, 20);
      if (running) void shutdown(1);
      else failStartup(new ScriptError(`${child.name} exited (${how}) while starting; its last lines are above`));
    },
  });
  const shutdown = async (code) => {
    if (stopping) return;
    stopping = true;
    step('stopping…');
    await supervisor.stopAll(STOP_GRACE_MS);
    step(code === 0 ? 'stopped' : 'stopped after a failure');
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (!stopping) return void shutdown(0);
      console.error(`${signal} again: killing the children now`);
      for (const c of supervisor.children) if (c.running) c.proc.kill('SIGKILL');
      process.exit(1);
    });
  }
  /** A start-up step, cut short when a child exits meanwhile. */
  const orChildExit = (promise) => Promise.race([promise, startupFailed]);

  try {
    const natsNote = await orChildExit(ensureNats(s.natsUrl, natsPlan, supervisor, security.config));
    startApps(s, supervisor, security, admin);
    const gatewayUrl = `${security.tls ? 'https' : 'http'}://${s.gatewayHost.includes(':') ? `[${s.gatewayHost}]` : s.gatewayHost}:${s.gatewayPort}`;
    try {
      await orChildExit(waitForHealth(`${gatewayUrl}/health`, HEALTH_TIMEOUT_MS));
    } catch (e) {
      if (e instanceof ScriptError) throw e;
      for (const c of supervisor.children) printLastLines(supervisor, c, 20);
      throw new ScriptError(`the gateway did not become healthy: ${e.message}`);
    }
    const functions = s.demo ? await orChildExit(deployDemoFunctions(gatewayUrl, authHeaders(admin))) : [];
    if (stopping) return new Promise(() => {});
    running = true;
    console.log(
      banner({ gatewayUrl, natsUrl: s.natsUrl, natsNote, schedulerPort: s.schedulerPort, workerPorts: s.workerPorts, functions, admin }),
    );
    const securityLines = securityBanner(security, s.natsUrl, gatewayUrl);
    if (securityLines) console.log(securityLines);
  } catch (e) {
    if (stopping) return new Promise(() => {}); // a signal is stopping everything: shutdown() exits
    stopping = true;
    await supervisor.stopAll(STOP_GRACE_MS);
    throw e;
  }
  return new Promise(() => {}); // runs until a signal or a child's exit ends the process
});
