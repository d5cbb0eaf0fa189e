#!/usr/bin/env node
// `npm start` on a fresh machine: installs dependencies, fetches the models, builds when the sources changed,
// uses the NATS at NATS_URL (or starts the bundled nats-server), starts the gateway, the scheduler and
// EPARA_WORKERS workers as child processes with prefixed logs, deploys the demo functions and prints how
// to call them. Ctrl-C / SIGTERM stops everything it started. See docs/operations-scripts.md.
import { createServer } from 'node:net';
import {
  appEntry,
  bundledNatsServerCommand,
  color,
  DEFAULT_NATS_URL,
  ensureBuild,
  ensureDeps,
  ensureModels,
  ensureNatsServerBinary,
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

const HEALTH_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;
const BUNDLED_MAX_PAYLOAD = 8 * 1024 * 1024;

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
    schedulerPort: intEnv('EPARA_SCHEDULER_PORT', 9100, 1, 65535),
    workerPorts: Array.from({ length: workers }, (_, i) => workerBase + i),
    threads: String(intEnv('EPARA_THREADS', 1, 1, 256)),
    demo: !['1', 'true'].includes(process.env.EPARA_NO_DEMO ?? ''),
  };
}

function isPortFree(port) {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, () => srv.close(() => resolve(true)));
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
  for (const [port, name] of wanted) if (!(await isPortFree(port))) busy.push(`${port} (${name})`);
  if (!busy.length) return;
  let who = '';
  try {
    const res = await fetch(`http://127.0.0.1:${s.gatewayPort}/health`, { signal: AbortSignal.timeout(1000) });
    if (busy[0].startsWith(`${s.gatewayPort} `) && 'nats' in (await res.json())) who = ` An Epara gateway already answers on ${s.gatewayPort}: is another npm start running?`;
  } catch {
    // not an Epara gateway
  }
  throw new ScriptError(`port${busy.length > 1 ? 's' : ''} ${busy.join(', ')} already in use.${who} Stop what uses them, or set the variables named to other ports`);
}

function checkServer(natsUrl, info) {
  if (!info.jetstream) throw new ScriptError(jetStreamOffMessage(natsUrl));
  if (info.max_payload < BUNDLED_MAX_PAYLOAD) {
    warn(`the NATS server at ${natsUrl} has max_payload ${(info.max_payload / 1048576).toFixed(1)} MB (the bundled config has 8 MB): larger inputs, e.g. big images, will be refused`);
  }
}

/** Uses the NATS at settings.natsUrl when it answers with JetStream; otherwise starts the bundled nats-server there. */
async function ensureNats(natsUrl, supervisor) {
  const probe = await probeNats(natsUrl);
  if (probe.kind === 'nats') {
    checkServer(natsUrl, probe.info);
    step(`using the NATS server at ${natsUrl} (nats-server ${probe.info.version}, JetStream on)`);
    return 'already running; npm start leaves it running';
  }
  const { host, port } = parseNatsUrl(natsUrl);
  if (probe.kind === 'other') {
    throw new ScriptError(`${probe.detail}. Port ${port} is taken by something that is not NATS: free it, or set NATS_URL to another port (npm start then runs its own nats-server there)`);
  }
  if (!isLoopbackHost(host)) {
    throw new ScriptError(`no NATS server answers at NATS_URL=${natsUrl} (${probe.detail}). Start it, or unset NATS_URL to let npm start run one on 127.0.0.1:4222`);
  }
  const bin = ensureNatsServerBinary();
  // Installing the distribution's package may have started its service on this very port (without JetStream).
  const again = await probeNats(natsUrl);
  if (again.kind !== 'none') {
    if (again.kind === 'other') throw new ScriptError(`${again.detail}; port ${port} is taken by something that is not NATS`);
    checkServer(natsUrl, again.info);
    return 'already running; npm start leaves it running';
  }
  step(`starting nats-server on 127.0.0.1:${port} (config/nats-server.conf, JetStream store .epara/nats) …`);
  const { command, args, cwd } = bundledNatsServerCommand(bin, port);
  // Its start-up banner is long: print warnings, errors and the shutdown; a failure shows the whole log.
  const echo = (line) => /\[(WRN|ERR|FTL)\]|Shutdown|Exiting/.test(line);
  const child = supervisor.spawn('nats', command, args, { cwd, infra: true, echo });
  try {
    await supervisor.waitForLine(child, /Server is ready/, 15_000);
  } catch (e) {
    printLastLines(supervisor, child, 15);
    throw new ScriptError(`nats-server did not start (${e.message}); its log is above`);
  }
  const ready = await probeNats(natsUrl);
  if (ready.kind !== 'nats') throw new ScriptError(`nats-server says it is ready but ${natsUrl} does not answer: ${ready.detail}`);
  checkServer(natsUrl, ready.info);
  step(`nats-server ${ready.info.version} ready at ${natsUrl} (JetStream on; monitoring http://127.0.0.1:8222)`);
  return 'started by npm start; it stops with it';
}

function startApps(s, supervisor) {
  const env = { ...process.env, NATS_URL: s.natsUrl };
  const app = (name, entry, extra) => supervisor.spawn(name, process.execPath, [appEntry(entry)], { cwd: repoRoot, env: { ...env, ...extra } });
  app('gateway', 'gateway', { EPARA_GATEWAY_PORT: String(s.gatewayPort) });
  app('scheduler', 'scheduler', { EPARA_SCHEDULER_PORT: String(s.schedulerPort) });
  s.workerPorts.forEach((port, i) => app(`worker-${i}`, 'worker', { EPARA_DEVICE: `cpu:${i}`, EPARA_WORKER_PORT: String(port), EPARA_THREADS: s.threads }));
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
  ensureDeps();
  ensureModels();
  ensureBuild();
  await checkPortsFree(s);

  let stopping = false;
  const supervisor = new Supervisor({
    onUnexpectedExit: (child, code, signal) => {
      console.error(`${color.red('✖')} ${child.name} exited unexpectedly (${signal ?? `code ${code}`}); stopping everything.`);
      printLastLines(supervisor, child, 20);
      void shutdown(1);
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

  try {
    const natsNote = await ensureNats(s.natsUrl, supervisor);
    startApps(s, supervisor);
    const gatewayUrl = `http://127.0.0.1:${s.gatewayPort}`;
    try {
      await waitForHealth(`${gatewayUrl}/health`, HEALTH_TIMEOUT_MS);
    } catch (e) {
      for (const c of supervisor.children) printLastLines(supervisor, c, 20);
      throw new ScriptError(`the gateway did not become healthy: ${e.message}`);
    }
    const functions = s.demo ? await deployDemoFunctions(gatewayUrl) : [];
    if (stopping) return new Promise(() => {}); // a signal arrived meanwhile: shutdown() exits
    console.log(banner({ gatewayUrl, natsUrl: s.natsUrl, natsNote, schedulerPort: s.schedulerPort, workerPorts: s.workerPorts, functions }));
  } catch (e) {
    if (!stopping) {
      stopping = true;
      await supervisor.stopAll(STOP_GRACE_MS);
    }
    throw e;
  }
  return new Promise(() => {}); // runs until a signal or a child's exit ends the process
});
