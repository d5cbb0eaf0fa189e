// The compiled apps: `nest build --all` into dist/, and whether dist is up to date with the sources.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { formatDuration, ScriptError, step } from './log.mjs';
import { fromRoot, localBin, repoRoot } from './paths.mjs';

export const APPS = ['gateway', 'worker', 'scheduler'];

/** Written after a successful build only: tsc emits JavaScript even when it reports errors. */
const STAMP = fromRoot('dist', '.epara-build-ok');
/** What the build reads besides apps/ and libs/. */
const CONFIG_INPUTS = ['tsconfig.json', 'nest-cli.json', 'package-lock.json'];

/** dist/apps/<app>/apps/<app>/src/main.js: the Nest CLI keeps the source layout because apps import libs/. */
export function appEntry(app) {
  return fromRoot('dist', 'apps', app, 'apps', app, 'src', 'main.js');
}

/** The compiled runtime library as the gateway's build holds it (for the synthetic demo model). */
export function compiledRuntimeModule(...parts) {
  return fromRoot('dist', 'apps', 'gateway', 'libs', 'runtime', 'src', ...parts);
}

/** Newest mtime among the build's inputs: .ts sources (not specs), tsconfigs, and directories (a deleted file changes its directory). */
function newestInputMs() {
  let newest = 0;
  const walk = (dir) => {
    newest = Math.max(newest, statSync(dir).mtimeMs);
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if ((e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts')) || e.name.endsWith('.json'))
        newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const dir of ['apps', 'libs']) if (existsSync(fromRoot(dir))) walk(fromRoot(dir));
  for (const f of CONFIG_INPUTS) if (existsSync(fromRoot(f))) newest = Math.max(newest, statSync(fromRoot(f)).mtimeMs);
  return newest;
}

/** Why dist needs a build, or undefined when it is up to date. */
export function whyBuild() {
  const missing = APPS.filter((a) => !existsSync(appEntry(a)));
  if (missing.length) return `${missing.map((a) => relative(repoRoot, appEntry(a))).join(', ')} missing`;
  if (!existsSync(STAMP)) return 'dist has no record of a successful build';
  if (newestInputMs() > statSync(STAMP).mtimeMs) return 'sources changed since the last build';
  return undefined;
}

/** `nest build --all`, its output shown as it comes; throws with a one-line reason when it fails. */
export function nestBuild() {
  if (!existsSync(localBin.nest))
    throw new ScriptError(`${relative(repoRoot, localBin.nest)} is missing: dependencies are not installed (npm ci)`);
  rmSync(STAMP, { force: true });
  const started = performance.now();
  const r = spawnSync(process.execPath, [localBin.nest, 'build', '--all'], { cwd: repoRoot, stdio: 'inherit' });
  if (r.error) throw new ScriptError(`could not run nest build: ${r.error.message}`);
  if (r.status !== 0) throw new ScriptError(`nest build --all failed (exit ${r.status ?? r.signal}); the compiler's errors are above`);
  const missing = APPS.filter((a) => !existsSync(appEntry(a)));
  if (missing.length)
    throw new ScriptError(
      `nest build --all succeeded but wrote no ${missing.map((a) => relative(repoRoot, appEntry(a))).join(', ')}; has the output layout changed? (scripts/lib/build.mjs appEntry)`,
    );
  writeFileSync(STAMP, `${new Date().toISOString()}\n`);
  return performance.now() - started;
}

/** Builds when whyBuild() says so, printing why and how long it took. Returns whether it built. */
export function ensureBuild() {
  const reason = whyBuild();
  if (!reason) return false;
  step(`building… (${reason})`);
  const ms = nestBuild();
  step(`built in ${formatDuration(ms)}`);
  return true;
}
