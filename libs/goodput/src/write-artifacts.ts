import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { goodputTimelineSvg } from './goodput-svg';
import { comparisonMarkdown } from './goodput-tables';
import { RunSummary } from './types';

export interface ArtifactOptions {
  /** Output directory (created if missing). */
  dir: string;
  /** File stem prefix: `sim` for the simulator, e.g. `live` for the live replay. */
  kind: string;
  workload: string;
  runs: readonly RunSummary[];
  /** The command that produced the runs (recorded in the markdown and JSON). */
  command: string;
  /** Lines under the title (workload facts, caveats). */
  notes?: string[];
  /** Extra markdown appended at the end (e.g. a table of run statistics). */
  appendix?: string;
  /** Extra fields for the JSON. */
  extra?: Record<string, unknown>;
  warmupS?: number;
  svg?: boolean;
}

/** One line describing the machine and its load, for reports. */
export function machineLine(): string {
  return `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}, node ${process.version}`;
}

/**
 * Writes `<dir>/<kind>-<workload>-<YYYY-MM-DD>.{md,json,svg}`: the comparison tables, the raw
 * summaries (timelines included) and the goodput-over-time plot. Returns the paths written.
 */
export async function writeComparisonArtifacts(o: ArtifactOptions): Promise<string[]> {
  const now = new Date();
  const base = join(o.dir, `${o.kind}-${o.workload}-${now.toISOString().slice(0, 10)}`);
  mkdirSync(o.dir, { recursive: true });
  const machine = machineLine();
  const md =
    comparisonMarkdown(o.runs, {
      title: `${o.kind === 'sim' ? 'Simulated' : 'Measured'} goodput: ${o.workload}`,
      notes: [`Command: \`${o.command}\` — ${now.toISOString()}`, `Machine: ${machine}.`, ...(o.notes ?? [])].filter(Boolean),
    }) + (o.appendix ? `\n${o.appendix}\n` : '');
  writeFileSync(`${base}.md`, md);
  writeFileSync(
    `${base}.json`,
    JSON.stringify({ command: o.command, date: now.toISOString(), machine, workload: o.workload, ...o.extra, runs: o.runs }, null, 1) +
      '\n',
  );
  const written = [`${base}.md`, `${base}.json`];
  if (o.svg !== false) {
    writeFileSync(
      `${base}.svg`,
      await goodputTimelineSvg(o.runs, { title: `${o.workload}: goodput over time (1 s buckets)`, warmupS: o.warmupS }),
    );
    written.push(`${base}.svg`);
  }
  return written;
}
