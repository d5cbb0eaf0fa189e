#!/usr/bin/env node
// `npm test`: installs dependencies when needed, makes sure a nats-server binary exists (the integration
// tests start their own servers on free ports; they never use 4222), Chromium (the dashboard's browser
// test drives it) and the command-line tools some tests run (espeak-ng and sox make the audio tests'
// speech; curl and mosquitto_pub run the README's examples and the MQTT test), installing Debian's
// packages when missing and possible, fetches the real models, installs the font the OCR tests render with, builds
// dist/ when the sources changed (some tests run the apps as processes), then runs jest. Extra arguments go to jest: `npm test -- --selectProjects unit --testPathPatterns libs/policy`.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import {
  ensureBuild,
  ensureChromiumBinary,
  ensureDeps,
  ensureModels,
  ensureNatsServerBinary,
  ensureOsCommands,
  ensureTestFonts,
  localBin,
  repoRoot,
  runMain,
  ScriptError,
  warn,
} from './lib/index.mjs';

/** Commands the tests run: the audio-vad test's speech and resampling, the README's and MQTT tests' clients. */
const TEST_TOOLS = [
  { command: 'espeak-ng', package: 'espeak-ng' },
  { command: 'sox', package: 'sox' },
  { command: 'curl', package: 'curl' },
  { command: 'mosquitto_pub', package: 'mosquitto-clients' },
];

/** The multi-host test on the netns bed (root; skipped, saying why, where the bed cannot be built). */
const NETNS_SPEC = 'test/netns\\.e2e-spec\\.ts';

function jestArgs(argv) {
  const args = argv[0] === '--' ? argv.slice(1) : argv;
  const hasWorkers = args.some((a) => /^(--maxWorkers|-w|--runInBand|-i)(=|$)/.test(a));
  return ['--ci', ...(hasWorkers ? [] : ['--maxWorkers=2']), ...args];
}

/**
 * Node flags for jest and its workers (they inherit them; processes the tests start do not). The object
 * store of @nats-io/obj loads its native SHA-256 with `import('node:crypto')`, and jest runs a dynamic
 * import inside a test only with VM modules on; the warning that the flag is experimental is left out.
 * By hand: `node --experimental-vm-modules node_modules/.bin/jest …` (not NODE_OPTIONS: apps and CLI runs that
 * the tests start would print the warning where the tests read their output).
 */
const JEST_NODE_FLAGS = ['--experimental-vm-modules', '--disable-warning=ExperimentalWarning'];

function runJest(args, env) {
  if (!existsSync(localBin.jest))
    throw new ScriptError(`${relative(repoRoot, localBin.jest)} is missing: dependencies are not installed (npm ci)`);
  const jest = spawn(process.execPath, [...JEST_NODE_FLAGS, localBin.jest, ...args], { cwd: repoRoot, env, stdio: 'inherit' });
  // A Ctrl-C reaches jest through the terminal's process group; a SIGTERM sent to this script alone is passed on.
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => jest.kill(signal));
  process.on('SIGINT', () => {}); // jest got it too and ends on its own; wait for its exit code
  return new Promise((resolve, reject) => {
    jest.once('error', (e) => reject(new ScriptError(`could not run jest: ${e.message}`)));
    jest.once('exit', (code, signal) =>
      resolve(code ?? (signal ? 128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1, SIGKILL: 9 }[signal] ?? 0) : 1)),
    );
  });
}

/**
 * CHROMIUM_BIN for the dashboard's browser test. Without Chromium the other tests still run, and that one
 * fails with this reason (EPARA_TEST_NO_CHROMIUM): it never passes without a browser.
 */
function chromiumOrWhyNot() {
  try {
    return { CHROMIUM_BIN: ensureChromiumBinary() };
  } catch (e) {
    if (!(e instanceof ScriptError)) throw e;
    warn(`${e.message}; the dashboard's browser test will fail`);
    return { EPARA_TEST_NO_CHROMIUM: e.message };
  }
}

runMain(async () => {
  ensureDeps();
  const natsServerBin = ensureNatsServerBinary();
  try {
    ensureOsCommands(TEST_TOOLS, 'the audio-vad, MQTT and README-example tests run them');
  } catch (e) {
    // The rest of the suite runs without them; the tests that need them fail, saying the same.
    if (!(e instanceof ScriptError)) throw e;
    warn(e.message);
  }
  const browser = chromiumOrWhyNot();
  ensureModels();
  ensureTestFonts();
  // The failover tests run the apps as separate processes, from dist/.
  ensureBuild();
  const env = { ...process.env, NATS_SERVER_BIN: natsServerBin, ...browser };
  const args = process.argv.slice(2);
  if (args.length) return runJest(jestArgs(args), env);
  // The netns bed's test in a jest process of its own: sharing a jest worker with other tests that import
  // the scripts' ES modules, it left that worker's module registry broken for the next file ("Cannot
  // read properties of undefined (reading 'identifier')" in jest-runtime, 36 README examples failed).
  const rest = await runJest(jestArgs(['--testPathIgnorePatterns', '/node_modules/', NETNS_SPEC]), env);
  if (rest !== 0) return rest;
  return runJest(jestArgs(['--testPathPatterns', NETNS_SPEC]), env);
});
