// ensureDeps: installs node_modules when it is missing or older than package-lock.json.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { formatDuration, ScriptError, step } from './log.mjs';
import { fromRoot, npmCmd, repoRoot } from './paths.mjs';

/**
 * The environment every install of this repo needs: onnxruntime-node's postinstall would otherwise
 * download CUDA libraries (and fail offline), and its analytics ping is off. A value the user set wins,
 * e.g. ONNXRUNTIME_NODE_INSTALL unset on purpose on a GPU machine (see the onnxruntime-node README).
 */
export function installEnv(env = process.env) {
  return { ...env, ONNXRUNTIME_NODE_INSTALL: env.ONNXRUNTIME_NODE_INSTALL ?? 'skip', SCARF_ANALYTICS: env.SCARF_ANALYTICS ?? 'false' };
}

/** Why node_modules needs an install, or undefined when it is up to date with package-lock.json. */
export function whyInstall() {
  const lock = fromRoot('package-lock.json');
  // npm writes node_modules/.package-lock.json at the end of every install: its age is the install's.
  const installed = fromRoot('node_modules', '.package-lock.json');
  if (!existsSync(fromRoot('node_modules'))) return 'node_modules is missing';
  if (!existsSync(installed)) return 'node_modules has no .package-lock.json (an interrupted or foreign install)';
  if (existsSync(lock) && statSync(lock).mtimeMs > statSync(installed).mtimeMs)
    return 'package-lock.json is newer than the installed packages';
  return undefined;
}

/** Runs `npm ci` (or `npm install` without a lock file) when whyInstall() says so. Returns whether it installed. */
export function ensureDeps() {
  const reason = whyInstall();
  if (!reason) return false;
  const command = existsSync(fromRoot('package-lock.json')) ? 'ci' : 'install';
  const args = [command, '--no-audit', '--no-fund'];
  step(`installing dependencies: npm ${args.join(' ')} (${reason}; ONNXRUNTIME_NODE_INSTALL=skip) …`);
  const started = performance.now();
  const r = spawnSync(npmCmd, args, { cwd: repoRoot, env: installEnv(), stdio: 'inherit' });
  if (r.error) throw new ScriptError(`could not run npm ${command}: ${r.error.message}`);
  if (r.status !== 0) throw new ScriptError(`npm ${command} failed (exit ${r.status ?? r.signal}); its output is above`);
  step(`dependencies installed in ${formatDuration(performance.now() - started)}`);
  return true;
}
