import { formatSeconds, Progress, ProgressOutput, stderrProgressOutput } from '../../apps/cli/src/progress';

/**
 * Where a benchmark is, on stderr (stdout carries the figures): each load run (closedLoop, openLoop,
 * sequential in load.ts) is counted, with the row it measures when the benchmark names it (`row`).
 * On a terminal a line is redrawn once a second with the run's elapsed time, what is left and what
 * has been answered; elsewhere one line says when a run starts, and nothing ticks.
 *
 * Cost during a measured run: one timer per second, off the load generator's path, which reads
 * counters the run keeps anyway. Off a terminal, none.
 */
const TICK_MS = 1000;

export class BenchProgress {
  private runs = 0;
  private planned?: number;
  private rowLabel?: string;

  constructor(private readonly out: ProgressOutput = stderrProgressOutput()) {}

  /** How many load runs the benchmark will make, for `run 3/12` (optional). */
  plan(runs: number): void {
    this.planned = runs;
  }

  /** What the next load run measures, e.g. `vad, batching on, 1.5× (3200 req/s)`. */
  row(label: string): void {
    this.rowLabel = label;
  }

  /**
   * A load run starts: `lengthMs` when its length is known (timed runs), else `total` requests.
   * `answered` reads how many have been answered so far. Returns the function that ends it.
   */
  start(o: { lengthMs?: number; total?: number; answered: () => number }): () => void {
    this.runs++;
    const label = `[bench] run ${this.runs}${this.planned ? `/${this.planned}` : ''}${this.rowLabel ? ` ${this.rowLabel}` : ''}`;
    this.rowLabel = undefined;
    if (!this.out.tty) {
      this.out.line(
        `${label}${o.lengthMs !== undefined ? `: ${formatSeconds(o.lengthMs)}` : o.total !== undefined ? `: ${o.total} requests` : ''}`,
      );
      return () => undefined;
    }
    const timed = o.lengthMs !== undefined;
    const progress = new Progress(this.out, label, timed ? o.lengthMs : o.total, timed ? 'ms' : 'count');
    const tick = () => progress.update(timed ? progress.elapsedMs : o.answered(), `${o.answered()} answered`);
    const timer = setInterval(tick, TICK_MS);
    timer.unref();
    return () => {
      clearInterval(timer);
      // The run's own figures follow on stdout: the live line just goes.
      if (this.out.tty) this.out.tty('\r\x1b[K');
    };
  }
}

/** The one the load runs report to; benchmarks call `plan` and `row` on it. */
export const benchProgress = new BenchProgress();
