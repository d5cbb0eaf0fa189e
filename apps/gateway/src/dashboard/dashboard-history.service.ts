import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { MetricValue } from 'prom-client';
import { unitKey } from '@epara/contracts';
import { STALE_AFTER_MS } from '@epara/core';
import { CumulativeHistogram, describeFunction, FunctionTotals, HistorySlice, LiveHistory, Reading } from '@epara/goodput';
import { ClusterView } from '../cluster/cluster-view.service';
import { GatewayMetrics, UNKNOWN_FUNCTION_LABEL } from '../common/gateway-metrics';
import { FunctionRegistry } from '../functions/function-registry.service';

/** How often the history takes a sample, ms: the page polls at this pace too. */
export const SAMPLE_PERIOD_MS = 2000;
/** Samples kept: 30 minutes at SAMPLE_PERIOD_MS, about 300 KB of JSON for three functions on two devices. */
export const SAMPLES_KEPT = 900;
/** The window of each function's one-line summary, ms. */
export const SUMMARY_WINDOW_MS = 10_000;

/**
 * Outcomes whose SLO this gateway does not judge: a request forwarded with direct reply is answered by
 * the worker to the producer, a token stream has per-token deadlines (its first token is the worker's).
 */
const UNJUDGED_OUTCOMES = new Set(['forwarded', 'streamed', 'cancelled']);

/** What the page reads: the samples after `since`, the placement changes, and per function its SLO and summary. */
export interface DashboardSeries extends HistorySlice {
  periodMs: number;
  capacity: number;
  now: number;
  functions: Record<string, { sloMs: number; mode: string; summary: string }>;
}

/**
 * The gateway's recent history for its dashboard, sampled once per SAMPLE_PERIOD_MS from what the
 * gateway already keeps: its Prometheus counters and latency histogram (read here, so the request path
 * pays nothing more), the heartbeats and the placement of its cluster view.
 */
@Injectable()
export class DashboardHistory implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DashboardHistory.name);
  private readonly history = new LiveHistory(SAMPLES_KEPT);
  private timer?: NodeJS.Timeout;
  private failing = false;

  constructor(
    private readonly metrics: GatewayMetrics,
    private readonly cluster: ClusterView,
    private readonly registry: FunctionRegistry,
  ) {}

  /** After every module's init: the cluster view has its placement mirror by then. */
  onApplicationBootstrap(): void {
    this.observePlacement();
    this.cluster.state.onPlacement(() => this.observePlacement());
    this.timer = setInterval(() => void this.sample(), SAMPLE_PERIOD_MS).unref();
    void this.sample();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  series(sinceMs: number): DashboardSeries {
    const recent = this.history.recent(SUMMARY_WINDOW_MS);
    const functions: DashboardSeries['functions'] = {};
    for (const r of this.registry.notLoaded() ? [] : this.registry.list())
      functions[r.name] = { sloMs: r.slo.latencyMs, mode: r.category.mode, summary: describeFunction(recent, r.name, r.slo.latencyMs) };
    return { periodMs: SAMPLE_PERIOD_MS, capacity: SAMPLES_KEPT, now: Date.now(), functions, ...this.history.since(sinceMs) };
  }

  private observePlacement(): void {
    this.history.observePlacement(
      Date.now(),
      this.cluster.state
        .placement()
        .map((p) => ({ device: p.device, units: p.assignments.map((a) => unitKey(a.fn, a.stage)), reason: p.reason })),
    );
  }

  private async sample(): Promise<void> {
    try {
      this.history.record(await this.read());
      if (this.failing) this.logger.log('the dashboard history samples again');
      this.failing = false;
    } catch (e) {
      // Once, not every period: the dashboard's plots pause, serving goes on.
      if (!this.failing) this.logger.warn(`the dashboard history could not take a sample: ${(e as Error).message}`);
      this.failing = true;
    }
  }

  private async read(): Promise<Reading> {
    const functions = await readFunctionTotals(this.metrics);
    const devices = this.cluster.state
      .allDevices()
      .filter((d) => this.cluster.state.ageMs(d.device) <= STALE_AFTER_MS)
      .map((d) => ({
        device: d.device,
        utilization: d.utilization,
        queued: d.queued,
        units: d.functions.map((f) => ({ fn: f.fn, queued: f.queued, completed: f.completed, batchSize: f.preferredBatchSize })),
      }));
    return { at: Date.now(), functions, devices };
  }
}

/**
 * Per deployed function, what the gateway's Prometheus metrics have counted since it started: requests
 * (all outcomes; judged: those whose outcome it saw), good ones, and the latency histogram over both
 * transports. Read once per sample, so the request path pays nothing for the dashboard.
 */
export async function readFunctionTotals(
  metrics: Pick<GatewayMetrics, 'requests' | 'goodRequests' | 'latency'>,
): Promise<Record<string, FunctionTotals>> {
  const [requests, good, latency] = await Promise.all([metrics.requests.get(), metrics.goodRequests.get(), metrics.latency.get()]);
  const functions: Record<string, FunctionTotals> = {};
  const totalsOf = (fn: string) => (functions[fn] ??= { offered: 0, judged: 0, good: 0, latencySeconds: { bounds: [], counts: [] } });
  for (const v of requests.values) {
    const fn = deployedFunction(v);
    if (!fn) continue;
    const t = totalsOf(fn);
    t.offered += v.value;
    if (!UNJUDGED_OUTCOMES.has(String(v.labels.outcome))) t.judged += v.value;
  }
  for (const v of good.values) {
    const fn = deployedFunction(v);
    if (fn) totalsOf(fn).good += v.value;
  }
  const buckets = new Map<string, Map<number, number>>();
  for (const v of latency.values) {
    const fn = deployedFunction(v);
    if (!fn || v.metricName?.endsWith('_bucket') !== true) continue;
    const bound = (v.labels as { le?: string | number }).le; // a bucket's label, which the label types leave out
    const le = bound === '+Inf' ? Infinity : Number(bound);
    let byBound = buckets.get(fn);
    if (!byBound) buckets.set(fn, (byBound = new Map()));
    // Summed over the transports: each bucket is cumulative in its own series, so their sum is too.
    byBound.set(le, (byBound.get(le) ?? 0) + v.value);
  }
  for (const [fn, byBound] of buckets) totalsOf(fn).latencySeconds = cumulative(byBound);
  return functions;
}

/** The function a series is labelled with, unless it is the label of names that are not deployed. */
function deployedFunction(v: MetricValue<string>): string | undefined {
  const fn = v.labels.function;
  return typeof fn === 'string' && fn !== UNKNOWN_FUNCTION_LABEL ? fn : undefined;
}

function cumulative(byBound: Map<number, number>): CumulativeHistogram {
  const bounds = [...byBound.keys()].sort((a, b) => a - b);
  return { bounds, counts: bounds.map((b) => byBound.get(b)!) };
}
