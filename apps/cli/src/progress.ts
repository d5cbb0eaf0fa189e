/**
 * Progress of a long step (an upload, a benchmark run) for the person at the terminal: on a terminal
 * one line redrawn in place, elsewhere (a pipe, a CI log) a line at each tenth, so logs stay short.
 * Used by the CLI's upload and by the benchmarks (bench/lib/progress.ts). scripts/fetch-models.mjs
 * has its own few lines: it runs in plain Node before any install or build, so it cannot load this
 * TypeScript file (and the compiled CommonJS CLI cannot load an .mjs on Node 20).
 */

/** What a progress line counts: bytes (`12.3 of 30.0 MB`), milliseconds (`12 s of 30 s`) or items (`12 of 30`). */
export type ProgressUnit = 'bytes' | 'ms' | 'count';

export interface ProgressOutput {
  /** Raw text to a terminal (no newline added); absent when the output is not one. */
  tty?: (text: string) => void;
  /** One whole line, for pipes and logs. */
  line: (text: string) => void;
  /** The terminal's width; lines are cut to it so a redraw never wraps. */
  columns?: number;
}

/** `4 s`, `2 min 05 s`: elapsed times and estimates, to the second. */
export function formatSeconds(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

function amount(n: number, unit: ProgressUnit): string {
  if (unit === 'bytes') return (n / 1e6).toFixed(1);
  if (unit === 'ms') return formatSeconds(n);
  return String(Math.round(n));
}

const BAR_WIDTH = 20;

export interface ProgressState {
  label: string;
  done: number;
  /** Unknown: no percentage, bar or estimate. */
  total?: number;
  unit: ProgressUnit;
  elapsedMs: number;
  /** Said after the figures: `1234 answered`. */
  note?: string;
}

/**
 * `uploading isnet.onnx  42% [########............] 73.1 of 174.0 MB · 3 s, about 4 s left · note`.
 * The estimate assumes the rest goes at the pace so far; a time-counted step (ms) needs none.
 */
export function progressText(p: ProgressState): string {
  const parts = [p.label];
  if (p.total !== undefined && p.total > 0) {
    const fraction = Math.min(1, p.done / p.total);
    const filled = Math.round(fraction * BAR_WIDTH);
    const bar = `${String(Math.floor(fraction * 100)).padStart(3)}% [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
    parts.push(`${bar} ${amount(p.done, p.unit)} of ${amount(p.total, p.unit)}${p.unit === 'bytes' ? ' MB' : ''}`);
  } else if (p.done > 0) parts.push(`${amount(p.done, p.unit)}${p.unit === 'bytes' ? ' MB' : ''}`);
  const times = [formatSeconds(p.elapsedMs)];
  if (p.unit !== 'ms' && p.total !== undefined && p.done > 0 && p.done < p.total)
    times.push(`about ${formatSeconds((p.elapsedMs * (p.total - p.done)) / p.done)} left`);
  else if (p.unit === 'ms' && p.total !== undefined && p.done < p.total) times.push(`${formatSeconds(p.total - p.done)} left`);
  const tail = [times.join(', '), p.note].filter(Boolean).join(' · ');
  return `${parts.join('  ')} · ${tail}`;
}

/** A terminal line is redrawn at most this often: enough to look live, negligible to draw. */
const REDRAW_MS = 100;
/** Off a terminal, a line each time another tenth is done. */
const LINE_STEPS = 10;

/** One step's progress, told to `out` as it goes; `finish` ends it with a line of its own. */
export class Progress {
  private readonly startedAt: number;
  private drawnAt = -Infinity;
  private linesTold = 0;
  private drawn = false;

  constructor(
    private readonly out: ProgressOutput,
    private readonly label: string,
    private readonly total: number | undefined,
    private readonly unit: ProgressUnit = 'count',
    private readonly now: () => number = Date.now,
  ) {
    this.startedAt = now();
  }

  get elapsedMs(): number {
    return this.now() - this.startedAt;
  }

  update(done: number, note?: string): void {
    const text = () => progressText({ label: this.label, done, total: this.total, unit: this.unit, elapsedMs: this.elapsedMs, note });
    if (this.out.tty) {
      const t = this.now();
      if (t - this.drawnAt < REDRAW_MS && !(this.total !== undefined && done >= this.total)) return;
      this.drawnAt = t;
      this.drawn = true;
      const line = text();
      this.out.tty(`\r\x1b[K${this.out.columns ? line.slice(0, this.out.columns - 1) : line}`);
      return;
    }
    if (this.total === undefined || this.total <= 0) return;
    const step = Math.floor((Math.min(done, this.total) / this.total) * LINE_STEPS);
    if (step <= this.linesTold || done >= this.total) return; // the last tenth is the finish line
    this.linesTold = step;
    this.out.line(text());
  }

  /** Clears the live line and says how it ended (`uploaded … in 4 s`). */
  finish(text: string): void {
    if (this.out.tty && this.drawn) this.out.tty('\r\x1b[K');
    this.out.line(text);
  }
}

/** Where the progress of this process goes: stderr, in place when it is a terminal. */
export function stderrProgressOutput(): ProgressOutput {
  const stderr = process.stderr;
  return {
    tty: stderr.isTTY ? (text) => stderr.write(text) : undefined,
    line: (text) => stderr.write(`${text}\n`),
    columns: stderr.isTTY ? stderr.columns : undefined,
  };
}
