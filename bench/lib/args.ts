/** Tiny flag parser shared by the benchmarks: `--quick`, `--name=value`, `--name value`. */
import { cpus, totalmem } from 'node:os';
import { writeFileSync } from 'node:fs';

export interface Args {
  quick: boolean;
  flags: Record<string, string | true>;
  num(name: string, fallback: number): number;
  str(name: string, fallback: string): string;
  has(name: string): boolean;
}

export function parseArgs(argv = process.argv.slice(2)): Args {
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    if (eq > 0) flags[a.slice(2, eq)] = a.slice(eq + 1);
    else if (argv[i + 1] !== undefined && !argv[i + 1].startsWith('--')) flags[a.slice(2)] = argv[++i];
    else flags[a.slice(2)] = true;
  }
  return {
    quick: flags.quick === true || flags.quick === 'true',
    flags,
    num: (name, fallback) => (flags[name] !== undefined && flags[name] !== true ? Number(flags[name]) : fallback),
    str: (name, fallback) => (typeof flags[name] === 'string' ? (flags[name] as string) : fallback),
    has: (name) => flags[name] !== undefined,
  };
}

/** One line describing where a benchmark ran. */
export function machineLine(): string {
  const c = cpus();
  return `${c.length} vCPU (${c[0]?.model.trim() ?? 'unknown CPU'}), ${(totalmem() / 1024 ** 3).toFixed(1)} GiB RAM, Node ${process.version}, ${process.platform}-${process.arch}`;
}

/** `--out=<file>` writes the markdown report there. */
export function maybeWriteReport(args: Args, markdown: string): void {
  const out = args.str('out', '');
  if (!out) return;
  writeFileSync(out, markdown);
  console.log(`\n[bench] markdown report written to ${out}`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
