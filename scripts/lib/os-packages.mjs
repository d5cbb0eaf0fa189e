// OS packages the scripts need (nats-server; espeak-ng and sox for the audio tests): find a command on
// the PATH, else install its Debian package with apt-get when that is possible (root on Debian/Ubuntu).
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ScriptError, step } from './log.mjs';

/** Where packages put binaries that a minimal PATH (a container, sudo) may lack. */
export const EXTRA_BIN_DIRS = ['/usr/sbin', '/usr/bin', '/usr/local/bin', '/opt/homebrew/bin'];

export function isExecutableFile(path) {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The path of `command` on PATH or in EXTRA_BIN_DIRS; undefined when there is none. */
export function findCommand(command, env = process.env) {
  const exe = process.platform === 'win32' ? `${command}.exe` : command;
  const dirs = [...(env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_BIN_DIRS];
  return dirs.map((d) => join(d, exe)).find(isExecutableFile);
}

/** Whether this process may install Debian packages: root on Debian/Ubuntu with apt-get. */
export function canInstallWithApt() {
  return (
    process.platform === 'linux' &&
    process.getuid?.() === 0 &&
    existsSync('/etc/debian_version') &&
    spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0
  );
}

/** Runs `apt-get <args>` non-interactively; a failure is a ScriptError with the output's tail and `hint`. */
export function aptGet(args, hint = '') {
  const r = spawnSync('apt-get', args, {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    encoding: 'utf8',
    maxBuffer: 32 * 1024 * 1024,
  });
  if (r.status !== 0) {
    const tail = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-5).join(' | ');
    throw new ScriptError(`\`apt-get ${args.join(' ')}\` failed (exit ${r.status ?? r.error?.message}): ${tail}.${hint ? ` ${hint}` : ''}`);
  }
}

/** apt-get update once per run: a fresh machine's package lists are empty. */
let aptUpdated = false;

/** Installs Debian packages (after one `apt-get update` per run). */
export function aptInstall(packages, hint = '') {
  if (!aptUpdated) {
    aptGet(['update'], hint);
    aptUpdated = true;
  }
  aptGet(['install', '-y', '--no-install-recommends', ...packages], hint);
}

/**
 * Makes sure each `{ command, package }` is installed: the ones missing are installed with apt-get (root
 * on Debian/Ubuntu), else a ScriptError names them, what needs them (`why`) and how to install them.
 * Returns the command paths by command name.
 */
export function ensureOsCommands(specs, why) {
  const missing = specs.filter((s) => !findCommand(s.command));
  if (missing.length > 0) {
    const names = missing.map((s) => s.package);
    const hint = `${why}. Install them: Debian/Ubuntu \`sudo apt-get install ${names.join(' ')}\`, macOS \`brew install ${names.join(' ')}\``;
    if (!canInstallWithApt()) throw new ScriptError(`${missing.map((s) => s.command).join(', ')} not found: ${hint}`);
    step(`${missing.map((s) => s.command).join(', ')} not found: installing ${names.join(' ')} with apt-get (root on Debian/Ubuntu) …`);
    aptInstall(names, hint);
  }
  const paths = {};
  for (const s of specs) {
    const path = findCommand(s.command);
    if (!path)
      throw new ScriptError(`apt-get installed ${s.package} but no ${s.command} was found on PATH or in ${EXTRA_BIN_DIRS.join(', ')}`);
    paths[s.command] = path;
  }
  return paths;
}
