// Console output shared by the npm scripts: one style for steps, warnings and the one-line failure reason.
import { basename } from 'node:path';

/** Colors when printing to a terminal (NO_COLOR turns them off, FORCE_COLOR on). */
export const useColor = process.env.NO_COLOR
  ? false
  : process.env.FORCE_COLOR
    ? process.env.FORCE_COLOR !== '0'
    : Boolean(process.stdout.isTTY);

const code = (n) => (text) => (useColor ? `\x1b[${n}m${text}\x1b[0m` : String(text));
export const color = {
  bold: code(1),
  dim: code(2),
  red: code(31),
  green: code(32),
  yellow: code(33),
  blue: code(34),
  magenta: code(35),
  cyan: code(36),
};

/** A failure with a message fit for the user: the scripts print it on one line and exit 1. */
export class ScriptError extends Error {
  constructor(message, { exitCode = 1 } = {}) {
    super(message);
    this.name = 'ScriptError';
    this.exitCode = exitCode;
  }
}

/** The script's name as the user typed it: `npm test` for scripts/test.mjs when run by npm. */
export function scriptLabel() {
  const script = basename(process.argv[1] ?? '', '.mjs');
  return process.env.npm_lifecycle_event === script
    ? `npm ${script === 'test' || script === 'start' ? '' : 'run '}${script}`
    : `node scripts/${script}.mjs`;
}

export function step(message) {
  console.log(`${color.cyan('›')} ${message}`);
}

export function warn(message) {
  console.warn(`${color.yellow('!')} ${message}`);
}

export function formatDuration(ms) {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * Runs a script's main function: a ScriptError ends it with its one-line reason and exit code, anything
 * else with its stack (a bug in the script itself).
 */
export function runMain(main) {
  main().then(
    (code) => process.exit(code ?? 0),
    (e) => {
      if (e instanceof ScriptError) {
        console.error(`${color.red('✖')} ${scriptLabel()}: ${e.message}`);
        process.exit(e.exitCode);
      }
      console.error(`${scriptLabel()}: unexpected error in the script itself:\n${e?.stack ?? e}`);
      process.exit(1);
    },
  );
}
