/**
 * Every command example in README.md works as written: the test reads the README, takes each command
 * out of its shell blocks, and runs it against a platform it starts itself — as `npm start` lays it
 * out (NATS with Epara's role users, an MQTT listener, the gateway with an admin key, a worker, the
 * scheduler, the demo functions) — from a directory that looks like a checkout after `npm start`
 * (`.epara/credentials/`, `test/fixtures/`).
 *
 * What counts as an example: every fenced block labelled `bash`, `sh`, `shell` or `console` (there
 * only the `$ ` lines). One command is a line (with its `\` continuations); comment lines are not
 * commands, and a comment line right after a command that starts with `# {` (in a console block: an
 * output line starting with `{`) shows its output: the output must hold the same JSON field names. An unlabelled block whose lines look like commands fails the test: label it.
 *
 * Each command must end with exit 0 (curl runs with --fail-with-body, so an HTTP error fails it), or
 * be excused:
 *   - a whole block, by an HTML comment on the line before its fence (blank lines between are fine):
 *       <!-- readme-test: skip WHY (e.g. needs a Docker engine) -->
 *   - commands by pattern, in EXCUSED below, each with its reason. Every entry must still excuse
 *     something, so the list stays true when the README changes.
 * A new example is therefore run, or fails the test until it is excused with a reason.
 *
 * The commands are rewritten only as a user of a non-default set-up would type them: the test's own
 * gateway URL for http://localhost:8080, its NATS URL for nats://127.0.0.1:4222, its MQTT port for
 * 1883, the id of the last key an example created for the README's sample id 3f9a2c71, and
 * `npx epara` → `epara` (on PATH here, as after `npm link`). `npm run epara -- …` runs as written: the
 * directory has a package.json whose `epara` script is the built CLI (dist/, so `npm run build` first).
 * The commands of one block share a shell's state the simple way: an `export` applies to the commands
 * after it in that block. A command that runs until Ctrl-C (STREAMS) gets SIGINT once it says it is
 * listening, and must then end without an error (exit 0, or the interrupt itself as npm passes it on).
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAdd } from '@epara/runtime';
import { importEsm } from './support/esm';
import { startCluster, TEST_ADMIN_KEY, TestCluster, waitFor } from './support/cluster';
import { http } from './support/http';

const REPO = join(__dirname, '..');
const CLI_ENTRY = join(REPO, 'dist', 'apps', 'cli', 'apps', 'cli', 'src', 'main.js');
const SHELL_LANGUAGES = new Set(['bash', 'sh', 'shell', 'console']);
const SKIP_MARK = /^<!--\s*readme-test:\s*skip\s+(.+?)\s*-->$/;
/** A command gets this long before the test calls it hung (a guard, not a measurement). */
const COMMAND_LIMIT_MS = 90_000;

/** Commands no test machine can run, by pattern, and why. Each must match at least one README command. */
const EXCUSED: { pattern: RegExp; reason: string }[] = [
  {
    pattern: /^npm (start|test)\b/,
    reason: 'npm start runs the platform this test stands in for (on the fixed ports 4222 and 8080); npm test runs this very test',
  },
  {
    pattern: /^nats /,
    reason:
      'the nats CLI is not installed on the test machines (Debian has no package for it); `epara req`, `epara micro`, `epara kv` make the same calls here',
  },
  {
    pattern: /--tlsca|--cacert/,
    reason: 'needs NATS and the gateway over TLS (EPARA_TLS=on npm start); test/security-nats.e2e-spec.ts runs these clients against TLS',
  },
  { pattern: /^npm run (bench:|sim\b)/, reason: 'benchmarks run for minutes and measure the machine: never part of a test run' },
];

/** Commands that run until Ctrl-C, and the line (stdout or stderr) that says they are ready to be stopped. */
const STREAMS: { pattern: RegExp; ready: RegExp }[] = [{ pattern: /\bepara(?: --)? (?:events|sub|kv watch)\b/, ready: /^listening on / }];

interface Example {
  /** 1-based line of the command in README.md. */
  line: number;
  section: string;
  /** Index of its block in the README, for the exports a block shares. */
  block: number;
  command: string;
  /** The output shown under it (`# {…}`), if any. */
  shownOutput?: string;
  /** Why it is not run: the block's skip mark or an EXCUSED reason. */
  excused?: string;
}

/** Every command in the README's shell blocks, with its section and whether it is excused. */
function readmeExamples(markdown: string): { examples: Example[]; unlabelled: string[] } {
  const lines = markdown.split('\n');
  const examples: Example[] = [];
  const unlabelled: string[] = [];
  let section = '';
  let block = -1;
  for (let i = 0; i < lines.length; i++) {
    const heading = /^#{1,6} (.*)/.exec(lines[i]);
    if (heading) section = heading[1];
    const fence = /^```(\S*)\s*$/.exec(lines[i]);
    if (!fence) continue;
    const start = i;
    let end = i + 1;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    const body = lines.slice(start + 1, end);
    i = end;
    const language = fence[1];
    if (!SHELL_LANGUAGES.has(language)) {
      const commandLike = body.find((l) => /^(npm|npx|epara|curl|node|nats|mosquitto_\w+|docker|sudo) /.test(l));
      if (language === '' && commandLike) unlabelled.push(`README.md:${start + 1} (${section}): ${commandLike}`);
      continue;
    }
    block++;
    let before = start - 1;
    while (before >= 0 && lines[before].trim() === '') before--;
    const skip = before >= 0 ? SKIP_MARK.exec(lines[before].trim())?.[1] : undefined;
    // A console block shows a session: its commands are the `$ ` lines, the rest is their output.
    const commandLines = language === 'console' ? body.map((l) => (l.startsWith('$ ') ? l.slice(2) : `# ${l}`)) : body;
    for (let j = 0; j < commandLines.length; j++) {
      const first = j;
      let command = commandLines[j];
      while (command.endsWith('\\') && j + 1 < commandLines.length) command = `${command.slice(0, -1)} ${commandLines[++j].trim()}`;
      if (command.trim() === '' || command.trim().startsWith('#')) continue;
      const next = commandLines[j + 1]?.trim();
      examples.push({
        line: start + 2 + first,
        section,
        block,
        command: command.trim(),
        shownOutput: next?.startsWith('# {') ? next.slice(2) : undefined,
        excused: skip ?? EXCUSED.find((e) => e.pattern.test(command.trim()))?.reason,
      });
    }
  }
  return { examples, unlabelled };
}

/** What the test's platform answers at, to put where the README names npm start's defaults. */
interface Platform {
  gatewayUrl: string;
  natsUrl: string;
  mqttPort: number;
  /** The id of the last API key an example created (the README revokes "3f9a2c71"). */
  lastKeyId?: string;
}

/** The command as a user of this platform would type it. */
function asTypedHere(command: string, p: Platform): string {
  let c = command
    .replaceAll('http://localhost:8080', p.gatewayUrl)
    .replaceAll('nats://127.0.0.1:4222', p.natsUrl)
    .replace(/(-p )1883\b/g, `$1${p.mqttPort}`)
    .replace(/^npx epara\b/, 'epara');
  if (p.lastKeyId) c = c.replaceAll('3f9a2c71', p.lastKeyId);
  // An HTTP error status fails the command, with the body still shown.
  return c.replace(/(^|[|;&]\s*)curl /g, '$1curl --fail-with-body ');
}

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/** Runs `script` in bash in `cwd`; with `ready`, sends SIGINT to its process group once a line matches. */
function runShell(script: string, cwd: string, env: NodeJS.ProcessEnv, ready?: RegExp): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn('bash', ['-o', 'pipefail', '-c', script], {
      cwd,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let interrupted = false;
    const interruptWhenReady = () => {
      if (!ready || interrupted) return;
      if ([...out.split('\n'), ...err.split('\n')].some((l) => ready.test(l))) {
        interrupted = true;
        process.kill(-child.pid!, 'SIGINT');
      }
    };
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      interruptWhenReady();
    });
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      interruptWhenReady();
    });
    const limit = setTimeout(() => {
      process.kill(-child.pid!, 'SIGKILL');
      reject(new Error(`still running after ${COMMAND_LIMIT_MS / 1000} s: ${script}\nstdout: ${out}\nstderr: ${err}`));
    }, COMMAND_LIMIT_MS);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(limit);
      resolve({ code, signal, out, err });
    });
  });
}

/** The JSON field names in a shown output (`{"id":"…","name":…}`). */
const fieldNames = (json: string) => [...new Set([...json.matchAll(/"([A-Za-z_]\w*)":/g)].map((m) => m[1]))];

/** Names a tool a command needs, and how to install it, when it is missing. */
function missingTools(): string[] {
  const tools: [string, string[], string][] = [
    ['curl', ['--version'], 'apt-get install curl'],
    ['mosquitto_pub', ['--help'], 'apt-get install mosquitto-clients'],
  ];
  // mosquitto_pub --help exits 1, but runs: only a missing binary counts.
  return tools
    .filter(([bin, args]) => spawnSync(bin, args, { stdio: 'ignore' }).error !== undefined)
    .map(([bin, , how]) => `${bin} (${how})`);
}

const README = readFileSync(join(REPO, 'README.md'), 'utf8');
const { examples, unlabelled } = readmeExamples(README);
const runnable = examples.filter((e) => !e.excused);

describe('README examples', () => {
  let c: TestCluster;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const platform = {} as Platform;
  /** The exports seen so far in each block, replayed before its later commands. */
  const exportsOfBlock = new Map<number, string[]>();

  beforeAll(async () => {
    if (!existsSync(CLI_ENTRY)) throw new Error(`${CLI_ENTRY} is missing: run \`npm run build\` first (the examples run the built CLI)`);
    const missing = missingTools();
    if (missing.length) throw new Error(`the README examples need ${missing.join(', ')}`);
    c = await startCluster({ workers: 1, security: { auth: true, mqtt: true, mqttDevices: ['mqtt-demo'] } });
    Object.assign(platform, { gatewayUrl: c.gatewayUrl, natsUrl: c.nats.url, mqttPort: c.nats.mqttPort });

    // A checkout after npm start: credentials (the role seeds, the MQTT demo password, the admin key), fixtures.
    dir = mkdtempSync(join(tmpdir(), 'epara-readme-'));
    const credentials = c.nats.credentials!.dir;
    writeFileSync(join(credentials, 'admin.key'), `${TEST_ADMIN_KEY}\n`, { mode: 0o600 });
    mkdirSync(join(dir, '.epara'));
    symlinkSync(credentials, join(dir, '.epara', 'credentials'));
    mkdirSync(join(dir, 'test'));
    symlinkSync(join(REPO, 'test', 'fixtures'), join(dir, 'test', 'fixtures'));
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'epara'), `#!/bin/sh\nexec "${process.execPath}" "${CLI_ENTRY}" "$@"\n`, { mode: 0o755 });
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'readme-examples', private: true, scripts: { epara: `node ${CLI_ENTRY}` } }, null, 2),
    );
    // The user's own function for `epara deploy spec.json --model model.onnx`: the synthetic add model.
    writeFileSync(join(dir, 'spec.json'), JSON.stringify({ name: 'add', kind: 'tensor', slo: { latencyMs: 200 } }));
    writeFileSync(join(dir, 'model.onnx'), buildAdd());

    // What the CLI and curl read besides the command line: the platform's URLs, as a user of this set-up sets them.
    env = {
      PATH: `${bin}:${process.env.PATH}`,
      HOME: dir, // no nats CLI context or npm configuration of the machine's user
      LANG: process.env.LANG ?? 'C.UTF-8',
      EPARA_GATEWAY_URL: c.gatewayUrl,
      NATS_URL: c.nats.url,
      npm_config_update_notifier: 'false',
    };

    // The demo functions npm start deploys, by its own code, and ready on the worker.
    const demo = await importEsm<{
      deployDemoFunctions(url: string, auth: Record<string, string>): Promise<string[]>;
      DEMO_FUNCTIONS: { name: string }[];
    }>(join(REPO, 'scripts', 'lib', 'demo.mjs'));
    const names = demo.DEMO_FUNCTIONS.map((f) => f.name);
    expect(await demo.deployDemoFunctions(c.gatewayUrl, { Authorization: `Bearer ${TEST_ADMIN_KEY}` })).toEqual(names);
    for (const name of names)
      await waitFor(async () => (await http(`${c.gatewayUrl}/v2/models/${name}/ready`)).status === 200, 60_000, `${name} ready`);
  });
  afterAll(async () => {
    await c?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('finds the examples, and no unlabelled block of commands', () => {
    expect(runnable.length).toBeGreaterThan(10);
    expect(unlabelled).toEqual([]);
  });

  it('has no excuse that excuses nothing', () => {
    const unused = EXCUSED.filter((e) => !examples.some((x) => e.pattern.test(x.command)));
    expect(unused.map((e) => e.pattern.source)).toEqual([]);
  });

  // Listed, so that a run shows what is not run and why.
  const excused = examples.filter((e) => e.excused);
  if (excused.length)
    it.skip.each(excused.map((e) => [`README.md:${e.line} (${e.section}): ${e.command} — not run: ${e.excused}`]))('%s', () => undefined);

  it.each(runnable.map((e) => [`README.md:${e.line} (${e.section}): ${e.command}`, e] as const))('%s', async (_, example) => {
    const command = asTypedHere(example.command, platform);
    const exported = exportsOfBlock.get(example.block) ?? [];
    const stream = STREAMS.find((s) => s.pattern.test(command));
    const r = await runShell([...exported, command].join('\n'), dir, env, stream?.ready);
    const shown = `\n$ ${command}\nexit ${r.code ?? r.signal}\nstdout: ${r.out}\nstderr: ${r.err}`;
    // Ctrl-C ends a stream: the CLI exits 0, but npm and bash pass the interrupt on as the shell does (130, or the signal).
    const exit = stream && (r.code === 130 || r.signal === 'SIGINT') && !/error/i.test(r.err) ? 0 : r.code;
    expect({ exit, shown }).toEqual({ exit: 0, shown });
    if (/^export /.test(command)) exportsOfBlock.set(example.block, [...exported, command]);
    // npm's "> script" banner lines in a file an example writes would break what reads it (a key file).
    const redirect = /(?<![>&\d])>\s*([\w./-]+)\s*(?:#[^'"]*)?$/.exec(command)?.[1];
    if (redirect) expect(readFileSync(join(dir, redirect), 'utf8')).not.toMatch(/^> /m);
    if (example.shownOutput) for (const field of fieldNames(example.shownOutput)) expect(r.out).toContain(`"${field}":`);
    const key = [...`${r.out}\n${r.err}`.matchAll(/\bepk_([0-9a-f]{8})_|"id":\s*"([0-9a-f]{8})"/g)].pop();
    if (key) platform.lastKeyId = key[1] ?? key[2];
  });

  it("says which of npm start's NATS users to take when a NATS command runs without one (the common mistake)", async () => {
    const r = await runShell('npm run -s epara -- kv ls epara_functions', dir, env);
    expect(r.code).toBe(1);
    expect(r.err).toContain('authorization violation');
    expect(r.err).toContain('--nkey .epara/credentials/operator.nk --inbox-prefix _INBOX_operator');
  });

  it('`epara __complete functions` lists the deployed functions for shell completion', async () => {
    const r = await runShell('epara __complete functions', dir, env);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')).toEqual(expect.arrayContaining(['mlp', 'ocr-det', 'vad']));
  });
});
