#!/usr/bin/env node
/**
 * `epara`: the project's own CLI. Function authors deploy and invoke through the gateway's HTTP API;
 * operators inspect services, KV buckets, the model store and subjects straight over NATS (what
 * `nats micro|kv|sub|req` would do, for hosts where the nats CLI is not installed).
 *
 * `run()` is the whole program and never touches `process`, so tests call it in-process.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EPARA_VERSION, isEparaError, parseBooleanEnv } from '@epara/contracts';
import { parseArgs } from './args';
import { CliError, CliIo, ExitCode, UsageError } from './cli-io';
import { Command, CommandContext, COMMANDS } from './commands';
import { prettyJson } from './format';
import { ADMIN_KEY_FILE, DEFAULT_GATEWAY_URL, GatewayClient, GatewayKey } from './gateway-client';
import { commandHelp, GLOBAL_OPTIONS, groupHelp, topHelp } from './help';
import { natsContextEnv } from './nats-context';
import { cliNatsSecurity, DEFAULT_NATS_URL, NatsSession } from './nats-session';

export type { CliIo } from './cli-io';

type Resolved = { kind: 'help'; lines: string[] } | { kind: 'command'; command: Command; rest: string[]; help: boolean };

const startsWith = (path: readonly string[], words: readonly string[]) => words.every((w, i) => path[i] === w);

/** Edit distance, for "did you mean" on a mistyped command. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}

function didYouMean(word: string, candidates: string[]): string {
  const best = candidates.map((c) => ({ c, d: distance(word, c) })).sort((x, y) => x.d - y.d)[0];
  return best && best.d <= 2 ? ` (did you mean "${best.c}"?)` : '';
}

/**
 * Finds the command words at the front of `argv` (global options may come before them) and returns the
 * rest for the command's own parser. Stops at the first complete command, so `epara get ls` gets "ls".
 */
export function resolveCommand(argv: readonly string[]): Resolved {
  const words: string[] = [];
  const taken = new Set<number>();
  let help = false;
  let next: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const t = argv[i];
    if (t === '-h' || t === '--help') {
      help = true;
      taken.add(i);
      continue;
    }
    if (t === '--') break;
    if (t.startsWith('-') && t !== '-') {
      const spec = GLOBAL_OPTIONS.find((o) => o.name === t.slice(2).split('=')[0]);
      if (!spec) {
        if (COMMANDS.some((c) => c.path.length === words.length && startsWith(c.path, words))) break;
        const shape = words.length ? `epara ${words.join(' ')} <subcommand> ${t}` : `epara <command> ${t}`;
        throw new UsageError(`${t} is not a global option: put it after the command (${shape} …)`, words);
      }
      if (spec.kind !== 'flag' && !t.includes('=')) i++;
      continue;
    }
    if (words.length === 0 && t === 'help' && !help) {
      help = true;
      taken.add(i);
      continue;
    }
    const candidate = [...words, t];
    if (!COMMANDS.some((c) => startsWith(c.path, candidate))) {
      next = t;
      break;
    }
    words.push(t);
    taken.add(i);
    if (COMMANDS.some((c) => c.path.length === candidate.length && startsWith(c.path, candidate))) break;
  }
  const command = COMMANDS.find((c) => c.path.length === words.length && startsWith(c.path, words));
  if (command)
    return { kind: 'command', command, rest: argv.filter((_, i) => !taken.has(i) || argv[i] === '-h' || argv[i] === '--help'), help };
  if (words.length === 0) {
    if (next === undefined) return { kind: 'help', lines: topHelp() };
    const firsts = [...new Set(COMMANDS.filter((c) => !c.hidden).map((c) => c.path[0]))];
    throw new UsageError(`unknown command "${next}"${didYouMean(next, firsts)}; commands: ${firsts.join(', ')}`);
  }
  const subs = COMMANDS.filter((c) => startsWith(c.path, words)).map((c) => c.path[words.length]);
  if (help) return { kind: 'help', lines: groupHelp(words[0]) };
  if (next !== undefined)
    throw new UsageError(
      `unknown command "epara ${[...words, next].join(' ')}"${didYouMean(next, subs)}; ${words.join(' ')} takes ${subs.join(', ')}`,
      words,
    );
  throw new UsageError(`\`epara ${words.join(' ')}\` needs a subcommand: ${subs.join(', ')}`, words);
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

/** EPARA_DEBUG (a boolean, as every app reads them): print the stack of an unexpected error. */
function debugStacks(env: NodeJS.ProcessEnv): boolean {
  const raw = env.EPARA_DEBUG;
  if (raw === undefined) return false;
  try {
    return parseBooleanEnv('EPARA_DEBUG', raw);
  } catch (e) {
    throw new CliError(`epara: ${(e as Error).message}`, ExitCode.Usage);
  }
}

/**
 * The API key to send: `--api-key`, else EPARA_API_KEY, else the admin key file npm start writes (looked
 * for in `cwd`). An empty `--api-key ""` sends none.
 */
export function resolveGatewayKey(flag: string | undefined, env: NodeJS.ProcessEnv, cwd: string | undefined): GatewayKey | undefined {
  if (flag !== undefined) return nonEmpty(flag) === undefined ? undefined : { key: flag.trim(), source: '--api-key' };
  const fromEnv = nonEmpty(env.EPARA_API_KEY);
  if (fromEnv) return { key: fromEnv, source: 'EPARA_API_KEY' };
  const file = cwd === undefined ? undefined : join(cwd, ADMIN_KEY_FILE);
  if (file === undefined || !existsSync(file)) return undefined;
  const fromFile = nonEmpty(readFileSync(file, 'utf8'));
  return fromFile ? { key: fromFile, source: file } : undefined;
}

/** Runs one command line; resolves with the exit code (0 done, 1 failed, 2 bad command line). */
export async function run(argv: string[], io: CliIo): Promise<number> {
  let session: Promise<NatsSession> | undefined;
  let debug = false;
  try {
    debug = debugStacks(io.env);
    if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V' || argv[0] === 'version')) {
      io.out(`epara ${EPARA_VERSION} (node ${process.versions.node})`);
      return ExitCode.Ok;
    }
    const resolved = resolveCommand(argv);
    if (resolved.kind === 'help') {
      resolved.lines.forEach((l) => io.out(l));
      return ExitCode.Ok;
    }
    const { command } = resolved;
    if (resolved.help) {
      commandHelp(command).forEach((l) => io.out(l));
      return ExitCode.Ok;
    }
    const opts = parseArgs(resolved.rest, [...(command.options ?? []), ...GLOBAL_OPTIONS], command.path);
    if (opts.flag('help')) {
      commandHelp(command).forEach((l) => io.out(l));
      return ExitCode.Ok;
    }
    const args = opts.positionals;
    const where = `epara ${command.path.join(' ')}`;
    if (args.length < command.args.min) throw new UsageError(`\`${where}\` needs ${command.usage}`, command.path);
    if (args.length > command.args.max) {
      throw new UsageError(
        `\`${where}\` takes ${command.args.max === 0 ? 'no arguments' : command.usage}; unexpected "${args.slice(command.args.max).join(' ')}"`,
        command.path,
      );
    }

    const gatewayFlag = opts.string('gateway');
    const natsFlag = opts.string('nats');
    const gatewayUrl = nonEmpty(gatewayFlag) ?? nonEmpty(io.env.EPARA_GATEWAY_URL) ?? DEFAULT_GATEWAY_URL;
    const gatewaySource = gatewayFlag !== undefined ? '--gateway' : nonEmpty(io.env.EPARA_GATEWAY_URL) ? 'EPARA_GATEWAY_URL' : 'default';
    // A nats CLI context gives defaults; the environment and flags win over it, as with the nats CLI.
    const context = natsContextEnv(opts.string('context'), io.env);
    const natsEnv = { ...context.env, ...io.env };
    const natsUrl = nonEmpty(natsFlag) ?? nonEmpty(natsEnv.NATS_URL) ?? DEFAULT_NATS_URL;
    const natsSource =
      natsFlag !== undefined
        ? '--nats'
        : nonEmpty(io.env.NATS_URL)
          ? 'NATS_URL'
          : context.env.NATS_URL
            ? `nats context ${context.name}`
            : 'default';
    let gateway: GatewayClient | undefined;
    const json = opts.flag('json');
    const ctx: CommandContext = {
      args,
      opts,
      io,
      json,
      gateway: () => (gateway ??= new GatewayClient(gatewayUrl, gatewaySource, resolveGatewayKey(opts.string('api-key'), io.env, io.cwd))),
      nats: () => (session ??= NatsSession.open(natsUrl, natsSource, cliNatsSecurity(opts, natsEnv))),
      print: (lines) => (Array.isArray(lines) ? lines : [lines]).forEach((l) => io.out(l)),
      printJson: (value, compact) => io.out(compact ? JSON.stringify(value) : prettyJson(value)),
    };
    return await command.run(ctx);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`epara: ${e.message}`);
      io.err(`run \`epara ${[...e.helpFor, '--help'].join(' ')}\` for usage`);
      return e.exitCode;
    }
    if (e instanceof CliError) {
      io.err(e.message);
      return e.exitCode;
    }
    // Local checks from the contracts (an invalid function name for a subject) carry their own code.
    if (isEparaError(e)) {
      io.err(`error ${e.code}: ${e.message}`);
      return ExitCode.Failed;
    }
    io.err(`epara: unexpected error: ${(e as Error)?.message ?? String(e)}`);
    if (debug) io.err((e as Error)?.stack ?? '');
    return ExitCode.Failed;
  } finally {
    if (session) await (await session.catch(() => undefined))?.close();
  }
}

if (require.main === module) {
  const stop = new AbortController();
  process.once('SIGINT', () => {
    // Streams (sub, events, kv watch) end cleanly; anything else gets a moment, then exits 130.
    stop.abort();
    setTimeout(() => process.exit(130), 2000).unref();
    process.once('SIGINT', () => process.exit(130));
  });
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0); // `epara sub … | head` closed the pipe
    throw e;
  });
  run(process.argv.slice(2), {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    errTty: process.stderr.isTTY ? { write: (text) => process.stderr.write(text), columns: process.stderr.columns } : undefined,
    env: process.env,
    cwd: process.cwd(),
    signal: stop.signal,
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`epara: ${(e as Error)?.stack ?? String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
