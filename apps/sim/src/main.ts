/**
 * The goodput simulator's command line:
 *
 *   npm run sim -- bench/workloads/mixed-bursty.json [--policies epara,naive] [--devices N] [--out dir]
 *
 * Runs each policy over the workload (same arrivals for all), prints the comparison tables and
 * writes bench/results/sim-<workload>-<date>.{json,md,svg}. See docs/simulator.md.
 */
import {
  fmtRps,
  functionTable,
  goodputMatrix,
  markdownTable,
  RunSummary,
  ScalePoint,
  searchCapacity,
  totalsTable,
  writeComparisonArtifacts,
} from '@epara/goodput';
import type { PolicyName } from '@epara/policy';
import { expandDevices, loadWorkload, scaleRates, scaleSlos, Workload, WorkloadError } from '@epara/workload';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { memoRuns, pct, pointOf } from './capacity';
import { parseCliArgs, UsageError } from './cli-args';
import { familySweep } from './family-sweep';
import { simulate } from './simulation';
import { SimStats } from './types';

/**
 * `--sweep`: per policy, the highest rate scale at which total attainment stays ≥ 99% and ≥ 90%, and
 * at the workload's own rate the tightest SLO scale that still does (searchCapacity over `scaleRates`,
 * and over `scaleSlos` by 1/scale so that attainment falls as the search grows). The runs of one
 * policy are shared between the two targets; every point goes to `<out>/sim-<workload>-sweep-<date>.json`.
 */
function sweep(workload: Workload, policies: PolicyName[], args: ReturnType<typeof parseCliArgs>): void {
  const rows: string[][] = [];
  const options = { devices: args.devices, seed: args.seed, durationS: args.durationS, warmupS: args.warmupS };
  const artifact: Record<string, { rate: ScalePoint[]; slo: ScalePoint[] }> = {};
  for (const policy of policies) {
    const memo = (what: 'rate' | 'slo') =>
      memoRuns(
        (k) => pointOf(k, simulate(what === 'rate' ? scaleRates(workload, k) : scaleSlos(workload, 1 / k), { policy, ...options }).summary),
        (p) => {
          const label = what === 'rate' ? `rate × ${p.scale.toFixed(3)}` : `SLO × ${(1 / p.scale).toFixed(3)}`;
          console.log(
            `  ${policy.padEnd(14)} ${label.padStart(14)}: attainment ${pct(p.attainment)}, lowest ${p.minFunction} ${pct(p.minFunctionAttainment)}`,
          );
        },
      );
    const rate = memo('rate');
    const slo = memo('slo');
    const cells: string[] = [policy];
    for (const target of [0.99, 0.9]) {
      const r = searchCapacity(rate.evaluate, target);
      cells.push(
        r.best ? `×${r.best.scale.toFixed(2)}` : `< ×${r.firstMiss!.scale.toFixed(3)}`,
        r.best ? `${r.best.minFunction} ${pct(r.best.minFunctionAttainment)}` : '—',
      );
    }
    for (const target of [0.99, 0.9]) {
      const r = searchCapacity(slo.evaluate, target);
      cells.push(r.best ? `×${(1 / r.best.scale).toFixed(2)}` : `> ×${(1 / r.firstMiss!.scale).toFixed(1)}`);
    }
    cells.push(String(rate.runs.size + slo.runs.size));
    rows.push(cells);
    const sorted = (m: Map<number, ScalePoint>) => [...m.values()].sort((a, b) => a.scale - b.scale);
    artifact[policy] = { rate: sorted(rate.runs), slo: sorted(slo.runs).map((p) => ({ ...p, scale: 1 / p.scale })) };
  }
  const headers = [
    'policy',
    'max rate scale @ 99%',
    'lowest function there',
    'max rate scale @ 90%',
    'lowest function there',
    'tightest SLO scale @ 99%',
    'tightest SLO scale @ 90%',
    'runs',
  ];
  console.log(`\n${markdownTable(headers, rows)}\n`);
  console.log(
    "rate scale: every stream at that multiple of its rate, same seed and trace shape; SLO scale: every function's SLO at that multiple, at the workload's own rate; each within 5% (geometric bisection).",
  );
  mkdirSync(args.out, { recursive: true });
  const file = join(args.out, `sim-${workload.name}-sweep-${new Date().toISOString().slice(0, 10)}.json`);
  writeFileSync(
    file,
    JSON.stringify({ workload: workload.name, command: `npm run sim -- ${process.argv.slice(2).join(' ')}`, policies: artifact }, null, 1),
  );
  console.log(`wrote ${file} (every run: attainment against rate scale and against SLO scale, per policy)`);
}

async function main(): Promise<void> {
  const args = parseCliArgs(process.argv.slice(2));
  if (args.family !== undefined) return familySweep(args);
  const workload = loadWorkload(args.workload);
  const devices = expandDevices(workload.devices, args.devices).length;
  const durationS = args.durationS ?? workload.durationS;
  const warmupS = args.warmupS ?? workload.warmupS;
  const seed = args.seed ?? workload.seed;
  console.log(
    `workload ${workload.name}: ${workload.functions.length} functions, ${workload.streams.length} streams, ${devices} devices, ${warmupS} s warm-up + ${durationS} s measured, seed ${seed}`,
  );
  if (args.sweep) return sweep(workload, args.policies, args);
  const runs: RunSummary[] = [];
  const stats: SimStats[] = [];
  for (const policy of args.policies) {
    const r = simulate(workload, { policy, devices: args.devices, seed: args.seed, durationS: args.durationS, warmupS: args.warmupS });
    runs.push(r.summary);
    stats.push(r.stats);
    const s = r.stats;
    console.log(
      `  ${policy.padEnd(14)} ${(s.wallMs / 1000).toFixed(1)} s wall, ${s.requests.toLocaleString('en-US')} requests, ${s.events.toLocaleString('en-US')} events, ` +
        `mean batch ${s.meanBatchSize.toFixed(2)}, ${s.placementRounds} placement rounds, ${s.modelLoads} model loads, ${s.recategorizations.length} re-categorizations`,
    );
  }
  console.log(`\n${totalsTable(runs)}\n\n${goodputMatrix(runs)}\n`);
  if (args.detail) console.log(`${functionTable(runs)}\n`);

  const command = `npm run sim -- ${process.argv.slice(2).join(' ')}`;
  const runTable = markdownTable(
    [
      'policy',
      'wall s',
      'CPU s',
      'requests',
      'events',
      'mean batch',
      'placement rounds',
      'placement s',
      'model loads',
      're-categorizations',
      'replicas at end',
    ],
    args.policies.map((p, i) => {
      const s = stats[i];
      const replicas = Object.values(s.finalPlacement).reduce((n, x) => n + x.replicas, 0);
      return [
        p,
        (s.wallMs / 1000).toFixed(1),
        (s.cpuMs / 1000).toFixed(1),
        s.requests.toLocaleString('en-US'),
        s.events.toLocaleString('en-US'),
        s.meanBatchSize.toFixed(2),
        s.placementRounds,
        (s.placementMs / 1000).toFixed(1),
        s.modelLoads,
        s.recategorizations.length,
        replicas,
      ];
    }),
  );
  const written = await writeComparisonArtifacts({
    dir: args.out,
    kind: 'sim',
    workload: workload.name,
    runs,
    command,
    notes: [
      `Code: ${codeVersion()}.`,
      `Workload: ${workload.functions.length} functions, ${devices} devices, ${warmupS} s warm-up (excluded) + ${durationS} s measured, seed ${seed}.`,
      workload.description ?? '',
    ],
    appendix: `### Runs\n\n${runTable}`,
    extra: { workloadFile: args.workload, seed, devices, durationS, warmupS },
    warmupS,
    svg: args.svg,
  });
  const ref = runs.find((r) => r.label === 'epara');
  if (ref) {
    const ratios = runs.filter((r) => r !== ref).map((r) => `${r.label} ${(ref.total.goodput / r.total.goodput).toFixed(2)}×`);
    if (ratios.length) console.log(`epara goodput ${fmtRps(ref.total.goodput)}/s; epara ÷ ${ratios.join(', ')}`);
  }
  console.log(`wrote ${written.join(', ')}`);
}

/** The commit the run was made at, with "+ local changes" when the tree differs from it (results depend on libs/ and apps/ code). */
function codeVersion(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'libs', 'apps', 'bench/workloads'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return `commit ${head}${dirty ? ' + local changes' : ''}`;
  } catch {
    return 'commit unknown (not a git checkout)';
  }
}

main().catch((e: unknown) => {
  if (e instanceof WorkloadError || e instanceof UsageError) console.error(e.message);
  else console.error(e instanceof Error ? e.stack : e);
  process.exitCode = 1;
});
