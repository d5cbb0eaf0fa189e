import { OptionSpec } from './args';
import { Command, CommandGroup, COMMANDS } from './commands';
import { ADMIN_KEY_FILE, DEFAULT_GATEWAY_URL } from './gateway-client';
import { DEFAULT_NATS_URL } from './nats-session';

export const GLOBAL_OPTIONS: OptionSpec[] = [
  { name: 'gateway', kind: 'string', value: 'URL', help: `gateway base URL (env EPARA_GATEWAY_URL, default ${DEFAULT_GATEWAY_URL})` },
  {
    name: 'api-key',
    kind: 'string',
    value: 'KEY',
    help: `gateway API key (env EPARA_API_KEY, else ${ADMIN_KEY_FILE} when present)`,
  },
  { name: 'nats', kind: 'string', value: 'URL', help: `NATS server(s), comma-separated (env NATS_URL, default ${DEFAULT_NATS_URL})` },
  {
    name: 'context',
    kind: 'string',
    value: 'NAME',
    help: "a nats CLI context (~/.config/nats/context/NAME.json: url, credentials, TLS; env NATS_CONTEXT; default: the nats CLI's selected one)",
  },
  { name: 'creds', kind: 'string', value: 'FILE', help: 'NATS user credentials file, JWT + seed (env NATS_CREDS)' },
  { name: 'nkey', kind: 'string', value: 'FILE', help: 'NATS nkey seed file, e.g. .epara/credentials/operator.nk (env NATS_NKEY_SEED)' },
  { name: 'user', kind: 'string', value: 'NAME', help: 'NATS user name, with --password (env NATS_USER)' },
  { name: 'password', kind: 'string', value: 'SECRET', help: 'NATS password (env NATS_PASSWORD)' },
  { name: 'token', kind: 'string', value: 'TOKEN', help: 'NATS token (env NATS_TOKEN)' },
  {
    name: 'inbox-prefix',
    kind: 'string',
    value: 'PREFIX',
    help: "where NATS replies arrive, _INBOX_<user> for Epara's users (env NATS_INBOX_PREFIX)",
  },
  { name: 'tlsca', kind: 'string', value: 'FILE', help: 'CA certificate: NATS over TLS (env NATS_TLS_CA)' },
  { name: 'tlscert', kind: 'string', value: 'FILE', help: 'client certificate for mutual TLS, with --tlskey (env NATS_TLS_CERT)' },
  { name: 'tlskey', kind: 'string', value: 'FILE', help: 'client key for mutual TLS (env NATS_TLS_KEY)' },
  { name: 'json', kind: 'flag', help: 'machine output: one JSON document (streams: one per line)' },
];

function optionLines(specs: readonly OptionSpec[]): string[] {
  const rows = specs.map((s) => [`--${s.name}${s.value ? ` ${s.value}` : ''}`, s.help]);
  const width = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([l, r]) => `  ${l.padEnd(width)}  ${r}`);
}

const commandLine = (c: Command) => ['epara', ...c.path, c.usage].filter(Boolean).join(' ');

function summaryLines(commands: readonly Command[]): string[] {
  const width = Math.max(...commands.map((c) => commandLine(c).length));
  return commands.map((c) => `  ${commandLine(c).padEnd(width)}  ${c.summary}`);
}

/** `epara --help`: every command, grouped by who uses it. */
export function topHelp(): string[] {
  return [
    'epara — deploy, invoke and inspect Epara inference functions.',
    '',
    'Usage: epara <command> [args] [options]      epara <command> --help for details',
    '',
    'Functions (through the gateway HTTP API):',
    ...summaryLines(COMMANDS.filter((c) => c.group === CommandGroup.Functions)),
    '',
    'Operators (straight over NATS, like the nats CLI):',
    ...summaryLines(COMMANDS.filter((c) => c.group === CommandGroup.Operators)),
    '',
    'Shell:',
    ...summaryLines(COMMANDS.filter((c) => c.group === CommandGroup.Shell && !c.hidden)),
    '',
    'Global options:',
    ...optionLines([...GLOBAL_OPTIONS, { name: 'help', kind: 'flag', help: 'show help (also -h, and `epara help <command>`)' }]),
    '',
    'Exit codes: 0 done, 1 the operation failed (unreachable, error reply, timeout), 2 bad command line.',
  ];
}

/** `epara kv --help`: the subcommands of a group. */
export function groupHelp(group: string): string[] {
  const commands = COMMANDS.filter((c) => c.path[0] === group && !c.hidden);
  return [
    `Usage: epara ${group} <${commands.map((c) => c.path[1]).join('|')}> [args] [options]`,
    '',
    ...summaryLines(commands),
    '',
    `epara ${group} <subcommand> --help for details`,
  ];
}

/** `epara <command> --help`. */
export function commandHelp(c: Command): string[] {
  const lines = [
    `Usage: ${commandLine(c)}${c.options?.length ? ' [options]' : ''}`,
    '',
    `${c.summary[0].toUpperCase()}${c.summary.slice(1)}.`,
  ];
  if (c.details?.length) lines.push('', ...c.details);
  if (c.options?.length) lines.push('', 'Options:', ...optionLines(c.options));
  lines.push('', 'Global options:', ...optionLines(GLOBAL_OPTIONS));
  if (c.examples?.length) lines.push('', 'Examples:', ...c.examples.map((e) => `  ${e}`));
  return lines;
}
