import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * scripts/fetch-models.mjs tells its progress on a terminal only. Runs it for silero-vad from a private
 * cache that already holds the package tarball (npm test fetched it), so nothing is downloaded: once with
 * stdout a pipe, once on a pseudo-terminal (util-linux `script`).
 */
const SCRIPT = join(__dirname, 'fetch-models.mjs');
const catalogue = JSON.parse(readFileSync(join(__dirname, 'models.json'), 'utf8')) as {
  models: { name: string; package: string; version: string }[];
};
const vad = catalogue.models.find((m) => m.name === 'silero-vad')!;
const packName = `${vad.package.replace(/^@/, '').replace('/', '-')}-${vad.version}.tgz`;
const cachedPack = join(process.env.EPARA_CACHE_DIR || join(homedir(), '.cache', 'epara'), 'packs', packName);

describe('fetch-models progress', () => {
  let cache: string;
  beforeEach(() => {
    if (!existsSync(cachedPack)) throw new Error(`${cachedPack} is missing: run npm run fetch-models first`);
    cache = mkdtempSync(join(tmpdir(), 'epara-fetch-'));
    mkdirSync(join(cache, 'packs'));
    copyFileSync(cachedPack, join(cache, 'packs', packName));
  });
  afterEach(() => rmSync(cache, { recursive: true, force: true }));

  const env = () => ({ ...process.env, EPARA_CACHE_DIR: cache });

  it('writes its log lines only, nothing redrawn, when stdout is not a terminal', () => {
    const r = spawnSync(process.execPath, [SCRIPT, '--only', 'silero-vad'], { env: env(), encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^silero-vad +fetched /);
    expect(r.stdout).not.toContain('\r');
  });

  it('redraws one line in place for the extraction on a terminal, and ends with the log line', () => {
    const r = spawnSync('script', ['-qec', `"${process.execPath}" "${SCRIPT}" --only silero-vad`, '/dev/null'], {
      env: env(),
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('\r\x1b[K  extracting silero_vad_v5.onnx from @ricky0123/vad-web@');
    expect(r.stdout).toContain('\r\x1b[Ksilero-vad ');
    expect(r.stdout).toMatch(/silero-vad +fetched /);
  });

  it('stays silent with --quiet, on a terminal too', () => {
    const r = spawnSync('script', ['-qec', `"${process.execPath}" "${SCRIPT}" --only silero-vad --quiet`, '/dev/null'], {
      env: env(),
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
  });
});
