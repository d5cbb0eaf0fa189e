import { isPolicyName, POLICY_NAMES, PolicyName } from '@epara/policy';

/** A bad command line: the message says what was wrong, followed by the usage. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface CliArgs {
  workload: string;
  policies: PolicyName[];
  devices?: number;
  seed?: number;
  durationS?: number;
  warmupS?: number;
  out: string;
  svg: boolean;
  /** Print the per-function table too (default true). */
  detail: boolean;
  /** Search the highest rate scale at which total SLO attainment stays ≥ 99% and ≥ 90%, per policy. */
  sweep: boolean;
  /** Instead of a workload file: that many seeds of the edge workload family, each swept. */
  family?: number;
  /** First seed of the family (default 1). */
  familyFrom: number;
}

export const USAGE = `usage: npm run sim -- <workload.json> [options]
       npm run sim -- --family N [--family-from S] [--devices D] [--duration S] [--policies ...]

  --policies a,b     policies to compare (default: ${POLICY_NAMES.join(',')})
  --devices N        replace the workload's device count
  --seed N           replace the workload's seed
  --duration S       replace the measured duration, s
  --warmup S         replace the warm-up, s
  --out DIR          where to write sim-<workload>-<date>.{json,md,svg} (default bench/results)
  --no-svg           skip the SVG plot
  --brief            print only the totals and the goodput-per-function tables
  --sweep            per policy, the highest rate scale (× every stream's rate, same trace shape) at which
                     total SLO attainment stays ≥ 99% and ≥ 90%, with the lowest per-function attainment there
  --family N         sweep N seeds (from --family-from, default 1) of the edge workload family instead of a
                     file (default 2 devices, 45 s + 15 s warm-up, scales up to ×16): per policy the median and worst capacity,
                     epara's ratios to the baselines, and its lowest function at its capacity`;

/** Parses the command line; throws an Error whose message says what was wrong (and the usage). */
export function parseCliArgs(argv: readonly string[]): CliArgs {
  const args: CliArgs = {
    workload: '',
    policies: [...POLICY_NAMES],
    out: 'bench/results',
    svg: true,
    detail: true,
    sweep: false,
    familyFrom: 1,
  };
  const positional: string[] = [];
  const fail = (msg: string): never => {
    throw new UsageError(msg === 'help' ? USAGE : `${msg}\n\n${USAGE}`);
  };
  const number = (flag: string, v: string | undefined, rule: (n: number) => boolean, expected: string): number => {
    const n = Number(v);
    if (v === undefined || v === '' || !Number.isFinite(n) || !rule(n))
      fail(`${flag} needs ${expected} (got ${v === undefined ? 'nothing' : JSON.stringify(v)})`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] =
      a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--policies': {
        const list = (value() ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        const bad = list.filter((p) => !isPolicyName(p));
        if (list.length === 0 || bad.length)
          fail(`--policies: unknown ${bad.length ? bad.join(', ') : '(empty list)'}; expected some of ${POLICY_NAMES.join(', ')}`);
        args.policies = list as PolicyName[];
        break;
      }
      case '--devices':
        args.devices = number('--devices', value(), (n) => Number.isInteger(n) && n >= 1, 'an integer ≥ 1');
        break;
      case '--seed':
        args.seed = number('--seed', value(), (n) => Number.isInteger(n) && n >= 0, 'an integer ≥ 0');
        break;
      case '--duration':
        args.durationS = number('--duration', value(), (n) => n > 0, 'seconds > 0');
        break;
      case '--warmup':
        args.warmupS = number('--warmup', value(), (n) => n >= 0, 'seconds ≥ 0');
        break;
      case '--out': {
        const v = value();
        if (!v) fail('--out needs a directory');
        args.out = v!;
        break;
      }
      case '--no-svg':
        args.svg = false;
        break;
      case '--brief':
        args.detail = false;
        break;
      case '--sweep':
        args.sweep = true;
        break;
      case '--family':
        args.family = number('--family', value(), (n) => Number.isInteger(n) && n >= 1, 'an integer ≥ 1 (how many seeds)');
        break;
      case '--family-from':
        args.familyFrom = number('--family-from', value(), (n) => Number.isInteger(n) && n >= 0, 'an integer ≥ 0 (the first seed)');
        break;
      case '-h':
      case '--help':
        fail('help');
        break;
      default:
        if (a.startsWith('-')) fail(`unknown option ${a}`);
        positional.push(a);
    }
  }
  if (args.family !== undefined) {
    if (positional.length) fail(`--family draws its workloads; no workload file expected (got ${positional.join(' ')})`);
    return args;
  }
  if (positional.length !== 1)
    fail(
      positional.length === 0 ? 'no workload file given' : `one workload file expected, got ${positional.length}: ${positional.join(' ')}`,
    );
  args.workload = positional[0];
  return args;
}
