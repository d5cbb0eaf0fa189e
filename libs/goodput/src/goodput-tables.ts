import { fmtCount, fmtMs, fmtPct, fmtRatio, fmtRps } from './format';
import { markdownTable } from './markdown-table';
import { FunctionSummary, RunSummary } from './types';

const dropCells = (s: FunctionSummary): string[] => [
  fmtCount(s.drops['504']),
  fmtCount(s.drops['429']),
  fmtCount(s.drops['503']),
  fmtCount(s.drops.other),
];

/**
 * Per function, per run side by side (rows grouped by function): goodput, SLO attainment,
 * throughput, latency percentiles and drops by reason.
 */
export function functionTable(runs: readonly RunSummary[]): string {
  const rows: (string | number)[][] = [];
  const names = runs[0]?.functions.map((f) => f.name) ?? [];
  names.forEach((name, i) => {
    for (const r of runs) {
      const f = r.functions[i];
      rows.push([
        name,
        fmtMs(f.sloMs),
        r.label,
        fmtRps(f.offeredRps),
        fmtRps(f.goodput),
        fmtPct(f.attainment),
        fmtRps(f.throughput),
        fmtMs(f.p50),
        fmtMs(f.p95),
        fmtMs(f.p99),
        ...dropCells(f),
      ]);
    }
  });
  return markdownTable(
    [
      'function',
      'SLO ms',
      'policy',
      'offered/s',
      'goodput/s',
      'attain',
      'thru/s',
      'p50 ms',
      'p95 ms',
      'p99 ms',
      '504',
      '429',
      '503',
      'other',
    ],
    rows,
    ['l', 'r', 'l'],
  );
}

/** Goodput per function (rows) under each run (columns): the compact side-by-side view. */
export function goodputMatrix(runs: readonly RunSummary[]): string {
  const names = runs[0]?.functions.map((f) => f.name) ?? [];
  const rows = names.map((name, i) => [
    name,
    fmtMs(runs[0].functions[i].sloMs),
    fmtRps(runs[0].functions[i].offeredRps),
    ...runs.map((r) => `${fmtRps(r.functions[i].goodput)} (${fmtPct(r.functions[i].attainment, 0)})`),
  ]);
  return markdownTable(['function', 'SLO ms', 'offered/s', ...runs.map((r) => `${r.label} goodput/s (attain)`)], rows, [
    'l',
    'r',
    'r',
    ...runs.map(() => 'r' as const),
  ]);
}

/**
 * Totals per run, with the ratio of the `reference` run's goodput (epara) to each run's: how much more
 * the reference serves within SLO.
 */
export function totalsTable(runs: readonly RunSummary[], reference = 'epara'): string {
  const ref = runs.find((r) => r.label === reference);
  const rows = runs.map((r) => [
    r.label,
    fmtRps(r.total.offeredRps),
    fmtRps(r.total.goodput),
    fmtPct(r.total.attainment),
    fmtRps(r.total.throughput),
    fmtMs(r.total.p50),
    fmtMs(r.total.p99),
    ...dropCells(r.total),
    fmtRps(r.computeWeightedGoodput),
    ref ? fmtRatio(ref.total.goodput / r.total.goodput) : '—',
  ]);
  return markdownTable(
    [
      'policy',
      'offered/s',
      'goodput/s',
      'attain',
      'thru/s',
      'p50 ms',
      'p99 ms',
      '504',
      '429',
      '503',
      'other',
      'cw-goodput ms/s',
      `${reference} ÷ this`,
    ],
    rows,
    ['l'],
  );
}

/** The whole comparison as markdown: totals, the compact matrix, then the detailed table. */
export function comparisonMarkdown(
  runs: readonly RunSummary[],
  opts: { title?: string; notes?: string[]; reference?: string } = {},
): string {
  const parts: string[] = [];
  if (opts.title) parts.push(`## ${opts.title}`);
  if (opts.notes?.length) parts.push(opts.notes.join('\n'));
  parts.push('### Totals', totalsTable(runs, opts.reference));
  parts.push('### Goodput per function', goodputMatrix(runs));
  parts.push('### Per function and policy', functionTable(runs));
  return parts.join('\n\n') + '\n';
}
