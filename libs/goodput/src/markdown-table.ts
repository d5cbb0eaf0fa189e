export type Align = 'l' | 'r';
export type Cell = string | number | undefined;

const looksNumeric = (s: string): boolean => /^[-+~≈<>]?\s*[\d.,]+\s*(ms|%|×|\/s)?$/.test(s.trim()) || s === '—' || s === '∞';

/** A markdown table with padded columns (valid markdown, readable as plain text). Numeric columns align right. */
export function markdownTable(headers: readonly string[], rows: readonly Cell[][], align?: readonly Align[]): string {
  const cells = rows.map((r) => headers.map((_, i) => (r[i] === undefined ? '—' : String(r[i]))));
  const al: Align[] = headers.map((_, i) => align?.[i] ?? (cells.length > 0 && cells.every((r) => looksNumeric(r[i])) ? 'r' : 'l'));
  const width = headers.map((h, i) => Math.max([...h].length, 3, ...cells.map((r) => [...r[i]].length)));
  const pad = (s: string, i: number): string => {
    const n = width[i] - [...s].length;
    return al[i] === 'r' ? ' '.repeat(n) + s : s + ' '.repeat(n);
  };
  const line = (r: readonly string[]): string => `| ${r.map(pad).join(' | ')} |`;
  const sep = `|${width.map((w, i) => (al[i] === 'r' ? `${'-'.repeat(w + 1)}:` : `:${'-'.repeat(w + 1)}`)).join('|')}|`;
  return [line(headers), sep, ...cells.map(line)].join('\n');
}
