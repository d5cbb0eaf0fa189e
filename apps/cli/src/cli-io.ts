/**
 * Where a CLI run reads and writes. `run()` never touches `process` directly, so tests call it in-process
 * and capture what it prints.
 */
export interface CliIo {
  /** Writes one line of command output (no trailing newline needed): what a script pipes on. */
  out: (line: string) => void;
  /** Writes one line for the person at the terminal: progress, serving headers, errors. */
  err: (line: string) => void;
  /** Standard error when it is a terminal: raw text, for a progress line redrawn in place. Absent: progress goes line by line to `err`. */
  errTty?: { write: (text: string) => void; columns?: number };
  /** Environment the CLI reads: EPARA_GATEWAY_URL, EPARA_API_KEY, NATS_URL, EPARA_DEBUG (print stacks of unexpected errors). */
  env: NodeJS.ProcessEnv;
  /** Where the key file `.epara/credentials/admin.key` is looked for; unset: it is not (tests). */
  cwd?: string;
  /** Whole standard input, for `--data -`. Default: reads `process.stdin`. */
  readStdin?: () => Promise<Uint8Array>;
  /** Aborting it stops a streaming command (`sub`, `events`, `kv watch`) cleanly, exit 0. */
  signal?: AbortSignal;
}

/** Exit codes: 0 done, 1 the operation failed (unreachable, 4xx/5xx, timeout), 2 the command line is wrong. */
export const ExitCode = { Ok: 0, Failed: 1, Usage: 2 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure the user can act on; its message is printed as is, without a stack. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.Failed,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}

/** The command line itself is wrong; `helpFor` names the command whose `--help` explains it. */
export class UsageError extends CliError {
  constructor(
    message: string,
    readonly helpFor: string[] = [],
  ) {
    super(message, ExitCode.Usage);
    this.name = 'UsageError';
  }
}
