// nats-server: finding (or installing) the binary, asking whether a server answers, starting the bundled one.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { delimiter, join } from 'node:path';
import { ScriptError, step } from './log.mjs';
import { fromRoot, repoRoot } from './paths.mjs';

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
/** The bundled config: 127.0.0.1:4222, JetStream stored in .epara/nats (relative: run with cwd = repo root). */
export const BUNDLED_CONFIG = 'config/nats-server.conf';

const NOT_INSTALLED =
  'nats-server is not installed. Install it: Debian/Ubuntu `sudo apt-get install nats-server`, macOS `brew install nats-server`, ' +
  'or download from the NATS releases page (https://github.com/nats-io/nats-server/releases); ' +
  'or set NATS_URL to a running server with JetStream (or NATS_SERVER_BIN to the binary)';

const EXTRA_DIRS = ['/usr/sbin', '/usr/bin', '/usr/local/bin', '/opt/homebrew/bin'];
const EXE = process.platform === 'win32' ? 'nats-server.exe' : 'nats-server';

function isExecutableFile(path) {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** NATS_SERVER_BIN, else nats-server on PATH, /usr/sbin, /usr/bin, ...; undefined when there is none. */
export function findNatsServerBinary(env = process.env) {
  if (env.NATS_SERVER_BIN) {
    if (isExecutableFile(env.NATS_SERVER_BIN)) return env.NATS_SERVER_BIN;
    throw new ScriptError(`NATS_SERVER_BIN=${env.NATS_SERVER_BIN} is not an executable file; fix or unset it`);
  }
  const dirs = [...(env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  return dirs.map((d) => join(d, EXE)).find(isExecutableFile);
}

/** Root on Debian/Ubuntu with apt-get: missing OS packages can be installed for the user. */
export function canInstallWithApt() {
  return (
    process.platform === 'linux' &&
    process.getuid?.() === 0 &&
    existsSync('/etc/debian_version') &&
    spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0
  );
}

/** Runs apt-get non-interactively; a failure names the command, its output's tail and `help` (how to install by hand). */
export function apt(args, help = NOT_INSTALLED) {
  const r = spawnSync('apt-get', args, {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    encoding: 'utf8',
    maxBuffer: 32 * 1024 * 1024,
  });
  if (r.status !== 0) {
    const tail = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-5).join(' | ');
    throw new ScriptError(`\`apt-get ${args.join(' ')}\` failed (exit ${r.status ?? r.error?.message}): ${tail}. ${help}`);
  }
}

/**
 * The path of a nats-server binary. When there is none and we are root on Debian/Ubuntu, installs
 * Debian's package (apt-get update && apt-get install -y nats-server); otherwise fails saying how to install it.
 */
export function ensureNatsServerBinary() {
  const found = findNatsServerBinary();
  if (found) return found;
  if (!canInstallWithApt()) throw new ScriptError(NOT_INSTALLED);
  step('nats-server not found: installing it with apt-get (root on Debian/Ubuntu) …');
  apt(['update']);
  apt(['install', '-y', '--no-install-recommends', 'nats-server']);
  const installed = findNatsServerBinary();
  if (!installed)
    throw new ScriptError(`apt-get installed nats-server but no binary was found on PATH or in ${EXTRA_DIRS.join(', ')}. ${NOT_INSTALLED}`);
  step(`installed ${installed}`);
  return installed;
}

/** host and port of a NATS URL (the first of a comma-separated list; `host:port` without a scheme is fine). */
export function parseNatsUrl(natsUrl) {
  const first = natsUrl.split(',')[0].trim();
  let url;
  try {
    url = new URL(first.includes('://') ? first : `nats://${first}`);
  } catch {
    throw new ScriptError(`NATS_URL=${natsUrl} is not a URL like nats://127.0.0.1:4222`);
  }
  return { host: url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(url.port || 4222) };
}

export function isLoopbackHost(host) {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/**
 * What listens at host:port: `{ kind: 'nats', info }` (the server's INFO line, parsed), `{ kind: 'other', detail }`
 * (something that is not NATS), or `{ kind: 'none', detail }` (nothing, or unreachable) — within timeoutMs.
 */
export function probeNats(natsUrl, timeoutMs = 1000) {
  const { host, port } = parseNatsUrl(natsUrl);
  return new Promise((resolve) => {
    let buffered = '';
    let connected = false;
    const socket = connect({ host, port });
    const done = (result) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(
      () =>
        done(
          connected
            ? { kind: 'other', detail: `${host}:${port} accepts connections but sent no NATS INFO line within ${timeoutMs} ms` }
            : { kind: 'none', detail: `no answer from ${host}:${port} within ${timeoutMs} ms` },
        ),
      timeoutMs,
    );
    socket.on('connect', () => (connected = true));
    socket.on('error', (e) => done({ kind: 'none', detail: `${host}:${port}: ${e.code ?? e.message}` }));
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      const eol = buffered.indexOf('\n');
      if (eol < 0 && buffered.length < 64 * 1024) return;
      const line = (eol < 0 ? buffered : buffered.slice(0, eol)).trim();
      if (!line.startsWith('INFO '))
        return done({ kind: 'other', detail: `${host}:${port} answers, but not as NATS: ${JSON.stringify(line.slice(0, 60))}` });
      try {
        done({ kind: 'nats', info: JSON.parse(line.slice(5)) });
      } catch {
        done({ kind: 'other', detail: `${host}:${port} sent an INFO line that is not JSON` });
      }
    });
  });
}

/** The parsed INFO of the NATS server at natsUrl (`jetstream: true` when JetStream is on), or null. */
export async function natsAnswers(natsUrl, timeoutMs = 1000) {
  const r = await probeNats(natsUrl, timeoutMs);
  return r.kind === 'nats' ? r.info : null;
}

/** Why the server that answered at natsUrl cannot serve Epara, with what to do; the caller throws it. */
export function jetStreamOffMessage(natsUrl) {
  return (
    `the NATS server at ${natsUrl} answers but has JetStream off, and Epara keeps its state in JetStream. ` +
    'Enable it (`jetstream {}` in its config, or run it with -js), or stop it so npm start runs its own ' +
    '(a server installed by apt-get runs as a service: `sudo systemctl disable --now nats-server`), ' +
    'or set NATS_URL to a server with JetStream'
  );
}

/**
 * The command line of the bundled server on `port`, its monitoring on `monitorPort` (command-line flags
 * override the config file): run it with cwd = the repo root, so its JetStream store is .epara/nats there.
 * `config`: another config file that includes the bundled one (npm start's users and TLS).
 */
export function bundledNatsServerCommand(bin, port, monitorPort, config = BUNDLED_CONFIG) {
  mkdirSync(fromRoot('.epara'), { recursive: true });
  const monitor = monitorPort ? ['-m', String(monitorPort)] : [];
  return { command: bin, args: ['-c', config, '-p', String(port), ...monitor], cwd: repoRoot };
}
