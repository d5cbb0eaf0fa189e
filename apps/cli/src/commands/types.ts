import { OptionSpec, ParsedArgs } from '../args';
import { CliIo } from '../cli-io';
import { GatewayClient } from '../gateway-client';
import { NatsSession } from '../nats-session';

/** What a command gets: its arguments, where to print, and lazily opened clients. */
export interface CommandContext {
  /** Positional arguments after the command words. */
  args: string[];
  opts: ParsedArgs;
  io: CliIo;
  /** `--json`: machine output on stdout (one JSON document, or one per line for streams). */
  json: boolean;
  /** The gateway's HTTP API (`--gateway`, EPARA_GATEWAY_URL). Throws a CliError when the URL is invalid. */
  gateway(): GatewayClient;
  /** The NATS connection (`--nats`, NATS_URL), opened on first call and closed when the command ends. */
  nats(): Promise<NatsSession>;
  /** Writes one output line, or `value` as JSON in `--json` mode. */
  print(lines: string | string[]): void;
  printJson(value: unknown, compact?: boolean): void;
}

/** Which audience a command serves; the top-level help groups by it. */
export const CommandGroup = { Functions: 'functions', Operators: 'operators', Shell: 'shell' } as const;
export type CommandGroup = (typeof CommandGroup)[keyof typeof CommandGroup];

export interface Command {
  /** Words after `epara`: `['kv', 'get']`. */
  path: string[];
  /**
   * Positional arguments as shown in help: `<bucket> <key>`. Shell completion reads it too: `<fn>` is a
   * deployed function's name (completed from the gateway), any other placeholder a file name.
   */
  usage: string;
  summary: string;
  /** Further help paragraphs (lines). */
  details?: string[];
  examples?: string[];
  options?: OptionSpec[];
  /** How many positional arguments it takes. */
  args: { min: number; max: number };
  group: CommandGroup;
  /** Left out of help, "did you mean" and completion: for the completion scripts' own calls. */
  hidden?: boolean;
  /** Resolves with the exit code; throws CliError for failures a user can act on. */
  run(ctx: CommandContext): Promise<number>;
}
