import { UsageError } from './cli-io';

/**
 * How an option takes its value: `flag` none (`--json`), `string` one (`--data FILE`), `int` one whole
 * number ≥ 0 (`--count 3`), `list` one per occurrence (`--header K:V --header K2:V2`).
 */
export const OptionKind = { Flag: 'flag', String: 'string', Int: 'int', List: 'list' } as const;
export type OptionKind = (typeof OptionKind)[keyof typeof OptionKind];

export interface OptionSpec {
  /** Long name without dashes: `count` for `--count`. */
  name: string;
  kind: OptionKind;
  /** Placeholder shown in help: `N`, `FILE|-`. */
  value?: string;
  help: string;
}

export type OptionValue = string | number | boolean | string[];

/** A parsed command line: positionals in order, options by long name. */
export class ParsedArgs {
  constructor(
    readonly positionals: string[],
    readonly options: ReadonlyMap<string, OptionValue>,
  ) {}

  has(name: string): boolean {
    return this.options.has(name);
  }
  flag(name: string): boolean {
    return this.options.get(name) === true;
  }
  string(name: string): string | undefined {
    const v = this.options.get(name);
    return typeof v === 'string' ? v : undefined;
  }
  int(name: string): number | undefined {
    const v = this.options.get(name);
    return typeof v === 'number' ? v : undefined;
  }
  list(name: string): string[] {
    const v = this.options.get(name);
    return Array.isArray(v) ? v : [];
  }
}

const HELP: OptionSpec = { name: 'help', kind: OptionKind.Flag, help: 'show this help' };

/**
 * Parses `argv` against `specs` (plus `-h`/`--help`). Accepts `--name value`, `--name=value`, `-` as a
 * positional (stdin) and `--` before positionals that start with a dash. `command` names the command
 * in error messages, so each one says which `--help` to read.
 */
export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[], command: string[] = []): ParsedArgs {
  const byName = new Map([...specs, HELP].map((s) => [s.name, s]));
  const positionals: string[] = [];
  const options = new Map<string, OptionValue>();
  const where = ['epara', ...command].join(' ');
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (token === '-h') {
      options.set('help', true);
      continue;
    }
    if (!token.startsWith('-') || token === '-') {
      positionals.push(token);
      continue;
    }
    if (!token.startsWith('--')) throw new UsageError(`unknown option ${token} for \`${where}\` (options are long: --name)`, command);
    const eq = token.indexOf('=');
    const name = token.slice(2, eq < 0 ? undefined : eq);
    const spec = byName.get(name);
    if (!spec) {
      const known = [...byName.keys()].map((n) => `--${n}`).join(', ');
      throw new UsageError(`unknown option --${name} for \`${where}\`; it takes ${known}`, command);
    }
    if (spec.kind === OptionKind.Flag) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value (got "${token.slice(eq + 1)}")`, command);
      options.set(name, true);
      continue;
    }
    let raw: string;
    if (eq >= 0) raw = token.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value${spec.value ? ` (${spec.value})` : ''}`, command);
      raw = argv[++i];
    }
    if (spec.kind === OptionKind.Int) {
      if (!/^\d+$/.test(raw)) throw new UsageError(`--${name} must be a whole number ≥ 0, got "${raw}"`, command);
      options.set(name, Number(raw));
    } else if (spec.kind === OptionKind.List) {
      options.set(name, [...((options.get(name) as string[] | undefined) ?? []), raw]);
    } else {
      options.set(name, raw);
    }
  }
  return new ParsedArgs(positionals, options);
}

/** `--header K:V` → [K, V]; the value may hold further colons (URLs, times). */
export function parseHeaderOption(raw: string, command: string[] = []): [string, string] {
  const colon = raw.indexOf(':');
  const key = colon < 0 ? '' : raw.slice(0, colon).trim();
  if (!key || /\s/.test(key))
    throw new UsageError(`--header must look like Name:value (e.g. Epara-Deadline:1735689600000), got "${raw}"`, command);
  return [key, raw.slice(colon + 1).trim()];
}
