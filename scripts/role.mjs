#!/usr/bin/env node
// One entrypoint for every Epara role (container images, the netns test bed): EPARA_ROLE picks it.
//
//   EPARA_ROLE=gateway|worker|scheduler node scripts/role.mjs   the built app (dist/, `npm run build` first)
//   EPARA_ROLE=nats node scripts/role.mjs                       nats-server with a config from NATS_* (README, "Roles")
//
// The environment goes to the child as it is; SIGINT, SIGTERM and SIGHUP are passed on and the child's
// exit code is this script's (128 + the signal's number when a signal ended it), as if it had been exec'd.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { APPS, appEntry, findNatsServerBinary, runMain, ScriptError } from './lib/index.mjs';
import { natsConfigFromEnv, renderNatsServerConfig } from './lib/nats-config.mjs';

const ROLES = [...APPS, 'nats'];
const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Runs `command args` in the foreground, passing signals on; resolves with the exit code to end with. */
function runForwarding(command, args) {
  const child = spawn(command, args, { stdio: 'inherit', env: process.env });
  for (const signal of FORWARDED_SIGNALS) process.on(signal, () => child.kill(signal));
  return new Promise((resolvePromise, reject) => {
    child.once('error', (e) => reject(new ScriptError(`could not start ${command}: ${e.message}`)));
    child.once('exit', (code, signal) => resolvePromise(code ?? 128 + (constants.signals[signal] ?? 0)));
  });
}

/** Writes the server's config to NATS_CONFIG_FILE, else into a private directory removed at exit; returns its path. */
function writeNatsConfig(env) {
  let file = env.NATS_CONFIG_FILE ? resolve(env.NATS_CONFIG_FILE) : undefined;
  if (!file) {
    const dir = mkdtempSync(join(tmpdir(), 'epara-nats-role-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    file = join(dir, 'nats-server.conf');
  }
  const includes = [];
  if (env.NATS_INCLUDE) {
    const included = resolve(env.NATS_INCLUDE);
    if (!existsSync(included)) throw new ScriptError(`NATS_INCLUDE=${env.NATS_INCLUDE}: no such file`);
    // nats-server reads an include relative to the including file, even one written as an absolute path.
    includes.push(relative(dirname(file), included));
  }
  writeFileSync(file, renderNatsServerConfig({ ...natsConfigFromEnv(env), includes }), { mode: 0o600 });
  return file;
}

runMain(async () => {
  const role = (process.env.EPARA_ROLE ?? '').trim();
  if (!ROLES.includes(role)) throw new ScriptError(`EPARA_ROLE=${role || '(unset)'}: use one of ${ROLES.join(', ')}`);
  if (role === 'nats') {
    const bin = findNatsServerBinary();
    if (!bin) throw new ScriptError('nats-server not found: set NATS_SERVER_BIN or put nats-server on PATH');
    return runForwarding(bin, ['-c', writeNatsConfig(process.env)]);
  }
  const entry = appEntry(role);
  if (!existsSync(entry)) throw new ScriptError(`${entry} is missing: build first (npm run build)`);
  return runForwarding(process.execPath, [entry]);
});
