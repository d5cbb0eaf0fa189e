/** Aligned markdown tables: printed to the console and returned for docs/benchmarks.md. */

export type Align = 'l' | 'r';
export type Cell = string | number | undefined;

export interface TableOptions {
  /** Per column; default: right for cells that look numeric in every row, left otherwise. */
  align?: Align[];
  title?: string;
}

const looksNumeric = (s: string) => /^[-+~≈<>]?\s*[\d.,]+\s*(ms|µs|%|×|x|\/s| MiB| req\/s)?$/.test(s.trim()) || s === '—';

/** Renders a markdown table with padded columns (valid markdown, readable as plain text). */
export function markdownTable(headers: string[], rows: Cell[][], o: TableOptions = {}): string {
  const cells = rows.map((r) => headers.map((_, i) => (r[i] === undefined ? '—' : String(r[i]))));
  const align: Align[] = headers.map((_, i) => o.align?.[i] ?? (cells.length > 0 && cells.every((r) => looksNumeric(r[i])) ? 'r' : 'l'));
  const width = headers.map((h, i) => Math.max(h.length, 3, ...cells.map((r) => [...r[i]].length)));
  const pad = (s: string, i: number) => {
    const n = width[i] - [...s].length;
    return align[i] === 'r' ? ' '.repeat(n) + s : s + ' '.repeat(n);
  };
  const line = (r: string[]) => `| ${r.map(pad).join(' | ')} |`;
  const sep = `|${width.map((w, i) => (align[i] === 'r' ? `${'-'.repeat(w + 1)}:` : `:${'-'.repeat(w + 1)}`)).join('|')}|`;
  const out = [line(headers), sep, ...cells.map(line)].join('\n');
  return o.title ? `**${o.title}**\n\n${out}` : out;
}

/** Prints the table (with a blank line around it) and returns its markdown. */
export function printTable(headers: string[], rows: Cell[][], o: TableOptions = {}): string {
  const md = markdownTable(headers, rows, o);
  console.log(`\n${md}\n`);
  return md;
}

/** Collects markdown sections as a benchmark runs; `toString()` gives the report to paste in the docs. */
export class Report {
  private readonly parts: string[] = [];
  heading(text: string, level = 3): void {
    this.parts.push(`${'#'.repeat(level)} ${text}`);
    console.log(`\n${'#'.repeat(level)} ${text}`);
  }
  text(text: string): void {
    this.parts.push(text);
    console.log(text);
  }
  table(headers: string[], rows: Cell[][], o: TableOptions = {}): string {
    const md = printTable(headers, rows, o);
    this.parts.push(md);
    return md;
  }
  toString(): string {
    return this.parts.join('\n\n') + '\n';
  }
}
