import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { homedir } from 'node:os';

export const sha256Of = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** `$EPARA_CACHE_DIR` or `~/.cache/epara`: fetched and cached models live outside the clone. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.EPARA_CACHE_DIR || join(homedir(), '.cache', 'epara');
}

/** Path of a bundled model fetched by `npm run fetch-models` (see scripts/models.json). */
export function bundledModelPath(name: string, cacheDir = defaultCacheDir()): string {
  return join(cacheDir, 'models', `${name}.onnx`);
}

/** A local copy of model artifacts by sha256, so a worker fetches each model from NATS once. */
export class ModelCache {
  constructor(private readonly dir: string) {}

  pathOf(sha256: string): string {
    return join(this.dir, `${sha256}.onnx`);
  }

  async read(sha256: string): Promise<Uint8Array | undefined> {
    const p = this.pathOf(sha256);
    if (!existsSync(p)) return undefined;
    const bytes = await readFile(p);
    return sha256Of(bytes) === sha256 ? bytes : undefined;
  }

  /** Writes atomically (temp file + rename) so a crash never leaves a half model under its final name. */
  async write(sha256: string, bytes: Uint8Array): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const tmp = `${this.pathOf(sha256)}.${process.pid}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, this.pathOf(sha256));
  }
}
