// ensureModels: the real ONNX models, fetched and checked by scripts/fetch-models.mjs.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { formatDuration, ScriptError, step } from './log.mjs';
import { fromRoot, repoRoot } from './paths.mjs';

export function modelCacheDir(env = process.env) {
  return resolve(env.EPARA_CACHE_DIR || join(homedir(), '.cache', 'epara'), 'models');
}

/** Names of the default (non-optional) models not yet in the cache with their recorded size. */
function missingModels() {
  const { models } = JSON.parse(readFileSync(fromRoot('scripts', 'models.json'), 'utf8'));
  const dir = modelCacheDir();
  return models
    .filter((m) => !m.optional)
    .filter((m) => {
      const path = join(dir, `${m.name}.onnx`);
      return !existsSync(path) || (m.sizeBytes != null && statSync(path).size !== m.sizeBytes);
    })
    .map((m) => m.name);
}

/**
 * Runs fetch-models, which checks every cached model's sha256 and downloads what is missing. Quiet when all
 * are present; with its progress shown when it has to download.
 */
export function ensureModels() {
  const missing = missingModels();
  const started = performance.now();
  if (missing.length) step(`fetching models (${missing.join(', ')}) into ${modelCacheDir()} …`);
  const args = [fromRoot('scripts', 'fetch-models.mjs'), ...(missing.length ? [] : ['--quiet'])];
  const r = spawnSync(process.execPath, args, { cwd: repoRoot, stdio: 'inherit' });
  if (r.error) throw new ScriptError(`could not run scripts/fetch-models.mjs: ${r.error.message}`);
  if (r.status !== 0)
    throw new ScriptError(`fetching the models failed (scripts/fetch-models.mjs exit ${r.status ?? r.signal}); the reason is above`);
  if (missing.length) step(`models ready in ${formatDuration(performance.now() - started)}`);
}
