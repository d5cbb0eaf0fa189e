// Binaries the platform or its tests need from the OS (nats-server, Chromium): finding them, and installing
// Debian's package with apt-get when one is missing and we are root on Debian/Ubuntu.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ScriptError, step } from './log.mjs';

/** Where packages put binaries, searched after PATH (a root shell's PATH may lack /usr/sbin, say). */
const EXTRA_DIRS = ['/usr/sbin', '/usr/bin', '/usr/local/bin', '/opt/homebrew/bin'];

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
  const dirs = [...(env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const name of binary.names) {
    const found = dirs.map((d) => join(d, exe(name))).find(isExecutableFile);
    if (found) return found;
  }
  return undefined;
}

export function canInstallWithApt() {
  return (
    process.platform === 'linux' &&
    process.getuid?.() === 0 &&
    existsSync('/etc/debian_version') &&
    spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0
  );
}

function apt(args, notInstalled) {
  const r = spawnSync('apt-get', args, {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    encoding: 'utf8',
    maxBuffer: 32 * 1024 * 1024,
  });
  if (r.status !== 0) {
    const tail = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-5).join(' | ');
    throw new ScriptError(`\`apt-get ${args.join(' ')}\` failed (exit ${r.status ?? r.error?.message}): ${tail}. ${notInstalled}`);
  }
}

/**
 * The path of a binary (see findBinary). When there is none and we are root on Debian/Ubuntu, installs
 * `binary.aptPackage` (apt-get update && apt-get install -y --no-install-recommends); otherwise fails with
 * `binary.notInstalled`, which says how to install it.
 * binary: { names, envVar, aptPackage, notInstalled }
 */
export function ensureBinary(binary) {
  const found = findBinary(binary);
  if (found) return found;
  const what = binary.names[0];
  if (!canInstallWithApt()) throw new ScriptError(binary.notInstalled);
  step(`${what} not found: installing Debian's ${binary.aptPackage} package with apt-get (root on Debian/Ubuntu) …`);
  apt(['update'], binary.notInstalled);
  apt(['install', '-y', '--no-install-recommends', binary.aptPackage], binary.notInstalled);
  const installed = findBinary(binary);
  if (!installed)
    throw new ScriptError(
      `apt-get installed ${binary.aptPackage} but no ${what} was found on PATH or in ${EXTRA_DIRS.join(', ')}. ${binary.notInstalled}`,
    );
  step(`installed ${installed}`);
  return installed;
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
