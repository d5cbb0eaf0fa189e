// Binaries the platform or its tests need from the OS (nats-server; Chromium for the dashboard's browser
// test; espeak-ng and sox for the audio tests): finding them, and installing Debian's package with apt-get
// when one is missing and we are root on Debian/Ubuntu.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ScriptError, step } from './log.mjs';

/** Where packages put binaries, searched after PATH (a root shell's PATH may lack /usr/sbin, say). */
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

/**
 * `binary.envVar` when set (it must be an executable file), else the first of `binary.names` on PATH or in
 * the usual directories; undefined when there is none.
 * binary: { names: ['nats-server'], envVar: 'NATS_SERVER_BIN' }
 */
export function findBinary(binary, env = process.env) {
  const override = binary.envVar && env[binary.envVar];
  if (override) {
    if (isExecutableFile(override)) return override;
    throw new ScriptError(`${binary.envVar}=${override} is not an executable file; fix or unset it`);
  }
  const exe = (name) => (process.platform === 'win32' ? `${name}.exe` : name);
  const dirs = [...(env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_BIN_DIRS];
  for (const name of binary.names) {
    const found = dirs.map((d) => join(d, exe(name))).find(isExecutableFile);
    if (found) return found;
  }
  return undefined;
}

/** The path of `command` on PATH or in EXTRA_BIN_DIRS; undefined when there is none. */
export function findCommand(command, env = process.env) {
  return findBinary({ names: [command] }, env);
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
function aptGet(args, hint) {
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

/** Installs Debian packages (after one `apt-get update` per run); `hint` says how to do it by hand. */
export function aptInstall(packages, hint = '') {
  if (!aptUpdated) {
    aptGet(['update'], hint);
    aptUpdated = true;
  }
  aptGet(['install', '-y', '--no-install-recommends', ...packages], hint);
}

/**
 * The path of a binary (see findBinary). When there is none and we are root on Debian/Ubuntu, installs
 * `binary.aptPackage`; otherwise fails with `binary.notInstalled`, which says how to install it.
 * binary: { names, envVar, aptPackage, notInstalled }
 */
export function ensureBinary(binary) {
  const found = findBinary(binary);
  if (found) return found;
  const what = binary.names[0];
  if (!canInstallWithApt()) throw new ScriptError(binary.notInstalled);
  step(`${what} not found: installing Debian's ${binary.aptPackage} package with apt-get (root on Debian/Ubuntu) …`);
  aptInstall([binary.aptPackage], binary.notInstalled);
  const installed = findBinary(binary);
  if (!installed)
    throw new ScriptError(
      `apt-get installed ${binary.aptPackage} but no ${what} was found on PATH or in ${EXTRA_BIN_DIRS.join(', ')}. ${binary.notInstalled}`,
    );
  step(`installed ${installed}`);
  return installed;
}

/**
 * Makes sure each `{ command, package }` is installed, all missing ones in one apt-get run: else a
 * ScriptError names them, what needs them (`why`) and how to install them. Returns the paths by command.
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

/** Chromium, for the dashboard's browser test (playwright-core drives it; it downloads no browser of its own). */
export const CHROMIUM = {
  names: ['chromium', 'chromium-browser'],
  envVar: 'CHROMIUM_BIN',
  aptPackage: 'chromium',
  notInstalled:
    'Chromium is not installed; the dashboard test (test/dashboard.e2e-spec.ts) drives it. Install it: Debian `sudo apt-get install chromium`, ' +
    'Ubuntu `sudo snap install chromium`, or set CHROMIUM_BIN to a Chromium or Chrome binary',
};

/** The path of a Chromium binary, installed with apt-get when missing where that is possible (see ensureBinary). */
export function ensureChromiumBinary() {
  return ensureBinary(CHROMIUM);
}
