import { fmtMs, fmtPct, fmtRps } from './format';
import { CumulativeHistogram, histogramDelta, histogramQuantile } from './histogram-quantile';

/** A fixed-size buffer that keeps the newest `capacity` items, oldest first. */
export class RingBuffer<T> {
  private readonly items: T[] = [];
  private start = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`a ring buffer holds at least 1 item, not ${capacity}`);
  }

  get length(): number {
    return this.items.length;
  }

  push(item: T): void {
    if (this.items.length < this.capacity) this.items.push(item);
    else {
      this.items[this.start] = item;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  /** Oldest first. */
  toArray(): T[] {
    return [...this.items.slice(this.start), ...this.items.slice(0, this.start)];
  }

  last(): T | undefined {
    return this.items.length ? this.items[(this.start + this.items.length - 1) % this.items.length] : undefined;
  }
}

/** What a gateway has counted for one function since it started (monotonic, as its Prometheus counters). */
export interface FunctionTotals {
  /** Invocations that reached this gateway, whatever their outcome. */
  offered: number;
  /** Of those, the ones whose outcome this gateway saw (not those forwarded to a worker that answers the producer itself). */
  judged: number;
  /** Completed within their SLO. */
  good: number;
  /** End-to-end latency of the judged ones, seconds. */
  latencySeconds: CumulativeHistogram;
}

/** One unit (a function, or `<fn>#<stage>`) on one device, from that device's last heartbeat. */
export interface UnitReading {
  fn: string;
  queued: number;
  /** Requests the device completed for it since the worker started (monotonic). */
  completed: number;
  /** The batch size the device's batcher runs at once for it now. */
  batchSize: number;
}

export interface DeviceReading {
  device: string;
  /** Busy share of its last heartbeat interval, 0..1. */
  utilization: number;
  queued: number;
  units: UnitReading[];
}

/** Everything read at one sampling instant. */
export interface Reading {
  at: number;
  functions: Record<string, FunctionTotals>;
  /** Live devices only: a lost device leaves a gap in its lines. */
  devices: DeviceReading[];
}

/** One function over one sample period. Rates are per second; null: nothing to measure it by in the period. */
export interface FunctionPoint {
  offeredRps: number;
  judgedRps: number;
  goodputRps: number;
  /** Share of the judged requests completed within the SLO, 0..1. */
  withinSlo: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  /** Waiting in the batchers, all devices together (heartbeats). */
  queued: number;
  /** The largest batch size its batchers run now (heartbeats); null where it is not loaded. */
  batchSize: number | null;
  /** Requests the workers completed per second (heartbeats): includes those this gateway forwarded or never saw. */
  servedRps: number;
}

export interface DevicePoint {
  /** 0..1 */
  utilization: number;
  queued: number;
  /** Units loaded (heartbeat). */
  units: number;
}

export interface Sample {
  at: number;
  functions: Record<string, FunctionPoint>;
  devices: Record<string, DevicePoint>;
}

/** One device's placement as the placement KV holds it, units named as in heartbeats. */
export interface PlacementReading {
  device: string;
  units: readonly string[];
  reason: string;
}

/** A device whose placed units changed, as this gateway saw it. */
export interface PlacementChange {
  at: number;
  device: string;
  added: string[];
  removed: string[];
  reason: string;
}

export interface HistorySlice {
  samples: Sample[];
  placementChanges: PlacementChange[];
}

/** A function's point in a period with no request and no heartbeat of it: the start every point is built from. */
export function quietPoint(): FunctionPoint {
  return {
    offeredRps: 0,
    judgedRps: 0,
    goodputRps: 0,
    withinSlo: null,
    p50Ms: null,
    p95Ms: null,
    p99Ms: null,
    queued: 0,
    batchSize: null,
    servedRps: 0,
  };
}

/** Latency percentiles the history keeps. */
const QUANTILES = [
  ['p50Ms', 0.5],
  ['p95Ms', 0.95],
  ['p99Ms', 0.99],
] as const;

/** Counters that went down restarted (a deleted function deployed again, a restarted worker): the later value is the gain. */
const gain = (after: number, before: number | undefined): number => (before === undefined || after < before ? after : after - before);

/** Rounds to 3 significant digits: the page has no use for more, and the history answer stays small. */
function round3(v: number): number {
  if (v === 0 || !Number.isFinite(v)) return v;
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(v))));
  const f = 10 ** Math.min(digits, 6);
  return Math.round(v * f) / f;
}

/**
 * The recent history of a gateway's view, for its dashboard: turns monotonic totals and heartbeats,
 * read once per period, into per-period rates, latency percentiles and gauges, keeps the newest
 * `capacity` samples, and logs placement changes. No clock and no I/O: the caller passes the readings.
 */
export class LiveHistory {
  private readonly samples: RingBuffer<Sample>;
  private readonly changes: RingBuffer<PlacementChange>;
  private previous?: Reading;
  private placed = new Map<string, PlacementReading>();

  constructor(capacity: number, changeCapacity = 200) {
    this.samples = new RingBuffer(capacity);
    this.changes = new RingBuffer(changeCapacity);
  }

  /** Adds the sample for the period since the previous reading; the first reading is only the baseline. */
  record(r: Reading): Sample | undefined {
    const before = this.previous;
    this.previous = r;
    if (!before || r.at <= before.at) return undefined;
    const seconds = (r.at - before.at) / 1000;
    const functions: Record<string, FunctionPoint> = {};
    for (const [fn, t] of Object.entries(r.functions)) functions[fn] = this.gatewayPoint(t, before.functions[fn], seconds);
    const earlier = new Map(before.devices.map((d) => [d.device, new Map(d.units.map((u) => [u.fn, u.completed]))]));
    const devices: Record<string, DevicePoint> = {};
    for (const d of r.devices) {
      devices[d.device] = { utilization: d.utilization, queued: d.queued, units: d.units.length };
      for (const u of d.units) {
        const p = (functions[u.fn] ??= quietPoint());
        p.queued += u.queued;
        p.batchSize = Math.max(p.batchSize ?? 0, u.batchSize);
        p.servedRps = round3(p.servedRps + gain(u.completed, earlier.get(d.device)?.get(u.fn)) / seconds);
      }
    }
    const sample = { at: r.at, functions, devices };
    this.samples.push(sample);
    return sample;
  }

  private gatewayPoint(t: FunctionTotals, before: FunctionTotals | undefined, seconds: number): FunctionPoint {
    const judged = gain(t.judged, before?.judged);
    const good = gain(t.good, before?.good);
    const latency = histogramDelta(t.latencySeconds, before?.latencySeconds);
    const point: FunctionPoint = {
      ...quietPoint(),
      offeredRps: round3(gain(t.offered, before?.offered) / seconds),
      judgedRps: round3(judged / seconds),
      goodputRps: round3(good / seconds),
      withinSlo: judged > 0 ? round3(Math.min(1, good / judged)) : null,
    };
    for (const [key, q] of QUANTILES) {
      const s = histogramQuantile(q, latency);
      point[key] = Number.isFinite(s) ? round3(s * 1000) : null;
    }
    return point;
  }

  /** Compares the placement with the last one seen and logs each device whose units changed. */
  observePlacement(at: number, placements: readonly PlacementReading[]): PlacementChange[] {
    const next = new Map(placements.map((p) => [p.device, p]));
    const found: PlacementChange[] = [];
    for (const device of new Set([...this.placed.keys(), ...next.keys()])) {
      const was = new Set(this.placed.get(device)?.units ?? []);
      const now = new Set(next.get(device)?.units ?? []);
      const added = [...now].filter((u) => !was.has(u)).sort();
      const removed = [...was].filter((u) => !now.has(u)).sort();
      if (added.length || removed.length)
        found.push({ at, device, added, removed, reason: next.get(device)?.reason ?? 'its placement was removed' });
    }
    this.placed = next;
    for (const c of found) this.changes.push(c);
    return found;
  }

  /** Samples and placement changes newer than `afterMs` (epoch ms; 0 for everything kept). */
  since(afterMs: number): HistorySlice {
    return {
      samples: this.samples.toArray().filter((s) => s.at > afterMs),
      placementChanges: this.changes.toArray().filter((c) => c.at > afterMs),
    };
  }

  /** The newest samples within `windowMs` of the last one. */
  recent(windowMs: number): Sample[] {
    const last = this.samples.last();
    return last ? this.samples.toArray().filter((s) => s.at > last.at - windowMs) : [];
  }
}

/**
 * One line an operator reads at a glance, over the given samples (say the last 10 s): "goodput 42.0
 * req/s of 50.3 offered (83% within the 50 ms SLO), p99 31.2 ms". Rates are means over the samples;
 * the share within the SLO counts requests, not samples; p99 is the worst period's. Requests this
 * gateway forwarded with direct reply (their outcome is the workers') are said apart.
 */
export function describeFunction(samples: readonly Sample[], fn: string, sloMs?: number): string {
  const points = samples.map((s) => s.functions[fn]).filter((p): p is FunctionPoint => p !== undefined);
  if (!points.length) return 'no data yet';
  const mean = (pick: (p: FunctionPoint) => number) => points.reduce((a, p) => a + pick(p), 0) / points.length;
  const offered = mean((p) => p.offeredRps);
  const judged = mean((p) => p.judgedRps);
  const good = mean((p) => p.goodputRps);
  const served = mean((p) => p.servedRps);
  const slo = sloMs === undefined ? 'SLO' : `${sloMs} ms SLO`;
  if (offered === 0 && served === 0) return 'idle: no requests';
  if (judged === 0)
    return `${fmtRps(offered)} req/s offered here, ${fmtRps(served)} req/s served by the workers (forwarded with direct reply: the workers judge the ${slo})`;
  const share = good / judged;
  const p99s = points.map((p) => p.p99Ms).filter((v): v is number => v !== null);
  const p99 = p99s.length ? `, p99 ${fmtMs(Math.max(...p99s))} ms` : '';
  // Forwarded requests are offered here but judged by the workers: counting them against the goodput would read as misses.
  const forwarded = offered - judged;
  const alsoForwarded =
    forwarded >= 0.05 ? `; ${fmtRps(forwarded)} req/s more forwarded with direct reply (the workers judge their SLO)` : '';
  // 99.6% must not read as 100%: one decimal just below all.
  return `goodput ${fmtRps(good)} req/s of ${fmtRps(judged)} offered (${fmtPct(share, share > 0.99 && share < 1 ? 1 : 0)} within the ${slo})${p99}${alsoForwarded}`;
}
