import { FloatList, mean, percentile } from './percentile';
import { DROP_REASONS, DropReason, dropReasonOf, FunctionInfo, FunctionSummary, RunSummary } from './types';

export interface RecorderOptions {
  /** Measured window by scheduled send time, ms since the run's start: [startMs, endMs). */
  windowStartMs: number;
  windowEndMs: number;
  /** Timeline bucket, ms. Default 1000. */
  bucketMs?: number;
}

/**
 * Collects the outcome of every request of a run and turns them into goodput figures. Each request
 * must be recorded exactly once (`ok` or `drop`); a live replay records a client timeout as a 504.
 * Requests sent outside the measured window only feed the timeline. O(1) per request, no
 * allocation but the latency arrays' growth.
 */
export class GoodputRecorder {
  private readonly bucketMs: number;
  private readonly latencies: FloatList[];
  private readonly good: Float64Array;
  private readonly drops: Float64Array[];
  private readonly timeline: number[] = [];

  constructor(
    readonly functions: readonly FunctionInfo[],
    private readonly options: RecorderOptions,
  ) {
    if (!(options.windowEndMs > options.windowStartMs)) {
      throw new Error(`GoodputRecorder: windowEndMs=${options.windowEndMs} must be > windowStartMs=${options.windowStartMs}`);
    }
    this.bucketMs = options.bucketMs ?? 1000;
    if (!(this.bucketMs > 0)) throw new Error(`GoodputRecorder: bucketMs=${this.bucketMs}, expected > 0`);
    this.latencies = functions.map(() => new FloatList());
    this.good = new Float64Array(functions.length);
    this.drops = DROP_REASONS.map(() => new Float64Array(functions.length));
  }

  private inWindow(sendMs: number): boolean {
    return sendMs >= this.options.windowStartMs && sendMs < this.options.windowEndMs;
  }

  /** A reply with a result reached the client at `doneMs`; the request was scheduled at `sendMs`. */
  /** A reply at `doneMs` (the first token, for a streamed generation); `meetsOtherSlos` false when e.g. its TPOT missed. */
  ok(fn: number, sendMs: number, doneMs: number, meetsOtherSlos = true): void {
    const latency = doneMs - sendMs;
    const isGood = meetsOtherSlos && latency <= this.functions[fn].sloMs;
    if (isGood) {
      const b = Math.floor(doneMs / this.bucketMs);
      while (this.timeline.length <= b) this.timeline.push(0);
      this.timeline[b]++;
    }
    if (!this.inWindow(sendMs)) return;
    this.latencies[fn].push(latency);
    if (isGood) this.good[fn]++;
  }

  /** The request got no result, for `reason` (an error code such as 504, or a DropReason). */
  drop(fn: number, sendMs: number, reason: number | string): void {
    if (!this.inWindow(sendMs)) return;
    this.drops[DROP_REASONS.indexOf(dropReasonOf(reason))][fn]++;
  }

  /** Offered so far in the window (all outcomes recorded). */
  offered(fn: number): number {
    let n = this.latencies[fn].length;
    for (const d of this.drops) n += d[fn];
    return n;
  }

  summarize(label: string, workload: string, meta: Record<string, unknown> = {}): RunSummary {
    const windowS = (this.options.windowEndMs - this.options.windowStartMs) / 1000;
    const functions: FunctionSummary[] = [];
    let all = new Float64Array(0);
    const parts: Float64Array[] = [];
    let totalGood = 0;
    let weighted = 0;
    const totalDrops = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;
    let totalOffered = 0;
    this.functions.forEach((f, i) => {
      const sorted = this.latencies[i].sorted();
      parts.push(sorted);
      const drops = Object.fromEntries(DROP_REASONS.map((r, k) => [r, this.drops[k][i]])) as Record<DropReason, number>;
      const offered = this.offered(i);
      functions.push(summaryOf(f.name, f.sloMs, sorted, this.good[i], drops, offered, windowS));
      totalGood += this.good[i];
      totalOffered += offered;
      weighted += this.good[i] * (f.exec1Ms ?? 0);
      for (const r of DROP_REASONS) totalDrops[r] += drops[r];
    });
    let n = 0;
    for (const p of parts) n += p.length;
    all = new Float64Array(n);
    n = 0;
    for (const p of parts) {
      all.set(p, n);
      n += p.length;
    }
    all.sort();
    const total = summaryOf('total', NaN, all, totalGood, totalDrops, totalOffered, windowS);
    const timeline = this.timeline.map((c) => (c * 1000) / this.bucketMs);
    return {
      label,
      workload,
      windowS,
      functions,
      total,
      computeWeightedGoodput: weighted / windowS,
      timeline: { bucketMs: this.bucketMs, goodPerS: timeline },
      meta,
    };
  }
}

function summaryOf(
  name: string,
  sloMs: number,
  sorted: Float64Array,
  good: number,
  drops: Record<DropReason, number>,
  offered: number,
  windowS: number,
): FunctionSummary {
  return {
    name,
    sloMs,
    offered,
    completed: sorted.length,
    good,
    drops,
    offeredRps: offered / windowS,
    goodput: good / windowS,
    throughput: sorted.length / windowS,
    attainment: offered > 0 ? good / offered : NaN,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    mean: mean(sorted),
  };
}
