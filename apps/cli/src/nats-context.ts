import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError } from './cli-io';

/** The nats CLI's context fields the epara CLI takes, and the variable each stands for. */
const CONTEXT_FIELDS: Record<string, string> = {
  url: 'NATS_URL',
  creds: 'NATS_CREDS',
  nkey: 'NATS_NKEY_SEED',
  user: 'NATS_USER',
  password: 'NATS_PASSWORD',
  token: 'NATS_TOKEN',
  ca: 'NATS_TLS_CA',
  cert: 'NATS_TLS_CERT',
  key: 'NATS_TLS_KEY',
  inbox_prefix: 'NATS_INBOX_PREFIX',
};

/** Where the nats CLI keeps its contexts: `$XDG_CONFIG_HOME/nats` or `~/.config/nats`. */
function natsConfigDir(env: Record<string, string | undefined>): string {
  return join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'nats');
}

/**
 * The connection settings of a nats CLI context (`nats context save …`), as NATS_* variables: the one
 * named by `--context` or NATS_CONTEXT, else the nats CLI's selected one (`context.txt`), else none.
 * Variables and flags the user set win over the context, as with the nats CLI.
 */
export function natsContextEnv(
  flag: string | undefined,
  env: Record<string, string | undefined>,
): { name?: string; env: Record<string, string> } {
  const dir = natsConfigDir(env);
  const selected = join(dir, 'context.txt');
  const explicit = flag?.trim() || env.NATS_CONTEXT?.trim();
  const name = explicit || (existsSync(selected) ? readFileSync(selected, 'utf8').trim() : '');
  if (!name) return { env: {} };
  const file = join(dir, 'context', `${name}.json`);
  if (!existsSync(file)) {
    if (explicit) throw new CliError(`no nats context "${name}": ${file} does not exist (nats context save ${name} --server … makes one)`);
    return { env: {} }; // a stale selection of the nats CLI: ignore it
  }
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new CliError(`nats context ${file} is not valid JSON: ${(e as Error).message}`);
  }
  const out: Record<string, string> = {};
  for (const [field, variable] of Object.entries(CONTEXT_FIELDS)) {
    const v = doc[field];
    if (typeof v === 'string' && v.trim()) out[variable] = v.trim();
  }
  return { name, env: out };
}
