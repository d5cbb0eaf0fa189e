import { Mode } from '@epara/contracts/vocabulary';
import { PlacementDevice, PlacementFunction } from './types';

/**
 * The placement being built and its goodput under a simple queueing model, kept incrementally so that
 * the gain of one more (or one less) replica costs O(functions on that function's devices).
 *
 * Load model (all in "reference-device seconds per second", i.e. utilisation of a computeScale-1 device):
 * - a request of f costs work_f = 1 / (1000 × throughput_f) s, where throughput is items/ms at the
 *   best batch for `batch`/`pp` and 1 / execMsBatch1 for `dp`/`sp` (they batch little);
 * - f's rate is split over its replicas in proportion to their devices' computeScale (what
 *   power-of-two-choices routing converges to on queue depth);
 * - a device runs one thing at a time and cannot preempt it, so a request waits behind whatever runs
 *   there: the wait is the M/G/1 one (Pollaczek–Khinchine: P(wait > 0) = ρ, mean wait
 *   Σλ·s² / 2(1 − ρ)) with an exponential tail, and f's request is within its SLO when that wait fits
 *   in the SLO minus its own run. This is what makes a 15 ms function suffer next to a 30 ms one, and
 *   what a second replica of a hot function relieves (both halve ρ where it runs);
 * - a device has capacity headroom × computeScale; past it, every function there is served the same
 *   fraction cap / load (the rest is shed), and what is served waits as at the headroom;
 * - a replica on a device where batch 1 takes longer than the SLO adds load but no goodput.
 * Goodput = Σ over devices, functions there of rate × P(within SLO) × min(1, cap / load).
 */
export class PlacementState {
  readonly nF: number;
  readonly nD: number;
  /** Functions sorted by name, devices sorted by id: indices order ties deterministically. */
  readonly fns: PlacementFunction[];
  readonly devs: PlacementDevice[];
  readonly fIndex = new Map<string, number>();
  readonly dIndex = new Map<string, number>();

  readonly rps: Float64Array;
  readonly work: Float64Array;
  readonly mem: Float64Array;
  readonly exec1: Float64Array;
  /** Seconds one run of f holds a reference device: what the others there may wait behind. */
  readonly run: Float64Array;
  readonly slo: Float64Array;
  /** Device indices of each function's replicas. */
  readonly replicas: number[][];
  /** Σ computeScale over each function's replica devices. */
  readonly scaleSum: Float64Array;

  readonly scale: Float64Array;
  readonly cap: Float64Array;
  readonly memCap: Float64Array;
  readonly memFree: Float64Array;
  /** 1 when the device can take replicas: not lost and computeScale > 0. */
  readonly live: Uint8Array;
  /** Work routed to each device, reference-device utilisation. */
  readonly load: Float64Array;
  /** Σ rate × work × run routed to each device, reference-device seconds (the M/G/1 second moment). */
  readonly moment2: Float64Array;
  /** Each device's goodput as placed (deviceGoodput), requests/s. */
  readonly servedOn: Float64Array;
  /** Rate routed to each device, requests/s: with servedOn, what a change there could win back at most. */
  readonly demandOn: Float64Array;
  /** Function indices on each device, unordered. */
  readonly fnsOn: number[][];
  private readonly on: Uint8Array;
  /** Bumped by every add and remove: what the memo below is valid for. */
  private version = 0;
  private memoF = -1;
  private memoS2 = 0;
  private memoVersion = -1;
  private memoDelta = 0;

  constructor(functions: readonly PlacementFunction[], devices: readonly PlacementDevice[], headroom: number) {
    this.fns = dedupe(functions, (f) => f.name);
    this.devs = dedupe(devices, (d) => d.id);
    const nF = (this.nF = this.fns.length);
    const nD = (this.nD = this.devs.length);
    this.rps = new Float64Array(nF);
    this.work = new Float64Array(nF);
    this.mem = new Float64Array(nF);
    this.exec1 = new Float64Array(nF);
    this.run = new Float64Array(nF);
    this.slo = new Float64Array(nF);
    this.scaleSum = new Float64Array(nF);
    this.replicas = [];
    for (let f = 0; f < nF; f++) {
      const fn = this.fns[f];
      this.fIndex.set(fn.name, f);
      this.rps[f] = nonNegative(fn.rps);
      this.mem[f] = nonNegative(fn.memoryBytes);
      this.exec1[f] = nonNegative(fn.execMsBatch1);
      this.slo[f] = fn.sloMs > 0 ? fn.sloMs : Infinity;
      const perItem = this.exec1[f] > 0 ? 1 / this.exec1[f] : Infinity;
      const best = fn.bestThroughputPerMs > 0 ? fn.bestThroughputPerMs : perItem;
      const itemsPerMs = fn.mode === Mode.Batch || fn.mode === Mode.Pp ? best : perItem < Infinity ? perItem : best;
      this.work[f] = itemsPerMs > 0 && itemsPerMs < Infinity ? 1 / (1000 * itemsPerMs) : 0;
      // A batch run lasts longer than one item's work, but batched functions are the short ones: batch 1 stands in.
      this.run[f] = this.exec1[f] / 1000;
      this.replicas.push([]);
    }
    this.scale = new Float64Array(nD);
    this.cap = new Float64Array(nD);
    this.memCap = new Float64Array(nD);
    this.memFree = new Float64Array(nD);
    this.live = new Uint8Array(nD);
    this.load = new Float64Array(nD);
    this.moment2 = new Float64Array(nD);
    this.servedOn = new Float64Array(nD);
    this.demandOn = new Float64Array(nD);
    this.fnsOn = [];
    for (let d = 0; d < nD; d++) {
      const dev = this.devs[d];
      this.dIndex.set(dev.id, d);
      this.scale[d] = dev.computeScale > 0 && Number.isFinite(dev.computeScale) ? dev.computeScale : 0;
      this.cap[d] = headroom * this.scale[d];
      this.memCap[d] = nonNegative(dev.memoryBytes);
      this.memFree[d] = this.memCap[d];
      this.live[d] = !dev.lost && this.scale[d] > 0 ? 1 : 0;
      this.fnsOn.push([]);
    }
    this.on = new Uint8Array(nF * nD);
  }

  isOn(f: number, d: number): boolean {
    return this.on[f * this.nD + d] === 1;
  }

  /** Whether batch 1 of f on d meets f's SLO. */
  meetsSlo(f: number, d: number): boolean {
    return this.exec1[f] <= this.slo[f] * this.scale[d];
  }

  /** Share of f's requests on d that finish within f's SLO at utilisation `rho` and second moment `m2` (actual seconds²). */
  withinSlo(f: number, d: number, rho: number, m2: number): number {
    const r = Math.min(rho, MAX_RHO);
    return this.within(f, d, r, rho > 0 && m2 > 0 ? (2 * r * (1 - r)) / m2 : Infinity);
  }

  /**
   * `withinSlo` with the device's terms precomputed: r = min(ρ, MAX_RHO), k = 2r(1 − r) / m2 (Infinity
   * when nothing waits). P(wait > t) ≈ r·exp(−t·k), i.e. an exponential tail with E[wait | wait > 0] = 1/k.
   */
  private within(f: number, d: number, r: number, k: number): number {
    const slackS = (this.slo[f] - this.exec1[f] / this.scale[d]) / 1000;
    if (!(slackS >= 0)) return 0;
    if (k === Infinity) return 1;
    const e = slackS * k;
    return e > 50 ? 1 : 1 - r * Math.exp(-e);
  }

  /** f's request rate on d, as placed. */
  rateOn(f: number, d: number): number {
    return (this.rps[f] * this.scale[d]) / this.scaleSum[f];
  }

  /**
   * Goodput of device d with `load` and `m2` routed to it, f's rate there taken as `fRate` (f may be on d
   * or about to be; -1 = as placed). O(functions on d).
   */
  deviceGoodput(d: number, load: number, m2: number, f = -1, fRate = -1): number {
    const scale = this.scale[d];
    if (scale <= 0 || load <= 0) return 0;
    // Past the headroom the platform sheds (429) what it cannot serve in time: the requests it admits
    // see the device at the headroom, not at the offered load.
    const admitted = load <= this.cap[d] ? 1 : this.cap[d] / load;
    const rho = (load * admitted) / scale;
    const m2Actual = (m2 * admitted) / (scale * scale);
    const r = Math.min(rho, MAX_RHO);
    const k = rho > 0 && m2Actual > 0 ? (2 * r * (1 - r)) / m2Actual : Infinity;
    let good = 0;
    let sawF = false;
    for (const g of this.fnsOn[d]) {
      const rate = g === f ? ((sawF = true), fRate) : this.rateOn(g, d);
      if (rate > 0) good += rate * this.within(g, d, r, k);
    }
    if (f >= 0 && !sawF && fRate > 0) good += fRate * this.within(f, d, r, k);
    return good * admitted;
  }

  /**
   * Goodput change on f's replica devices when f's replica set gets `scaleSum` s2 (`removed` = the device
   * leaving it, or -1 when one is added). Memoised for the last (f, s2) until the placement changes:
   * scanning f's candidate devices of one speed evaluates it once, not once per device.
   */
  private changeOnReplicas(f: number, s2: number, removed: number): number {
    if (removed < 0 && this.memoF === f && this.memoS2 === s2 && this.memoVersion === this.version) return this.memoDelta;
    const r = this.rps[f];
    const w = this.work[f];
    const run = this.run[f];
    const s = this.scaleSum[f];
    let delta = 0;
    for (const e of this.replicas[f]) {
      const before = (r * this.scale[e]) / s;
      const after = e === removed ? 0 : s2 > 0 ? (r * this.scale[e]) / s2 : 0;
      const dr = after - before;
      delta += this.deviceGoodput(e, this.load[e] + dr * w, this.moment2[e] + dr * w * run, f, after) - this.servedOn[e];
    }
    if (removed < 0) {
      this.memoF = f;
      this.memoS2 = s2;
      this.memoVersion = this.version;
      this.memoDelta = delta;
    }
    return delta;
  }

  /**
   * Requests/s routed to d that miss their SLO. Adding a replica of f on d can gain at most the sum of
   * this over f's devices and d (what is routed there can at best all be served): a cheap bound that
   * lets placement skip most candidates without evaluating them.
   */
  deficit(d: number): number {
    return Math.max(0, this.demandOn[d] - this.servedOn[d]);
  }

  /** Goodput gained by adding a replica of f on d (f not on d). O(functions on f's devices and d); the part on f's devices is memoised. */
  gainAdd(f: number, d: number): number {
    const r = this.rps[f];
    if (r === 0) return 0;
    const s2 = this.scaleSum[f] + this.scale[d];
    const after = (r * this.scale[d]) / s2;
    const w = this.work[f];
    const onD = this.deviceGoodput(d, this.load[d] + after * w, this.moment2[d] + after * w * this.run[f], f, after) - this.servedOn[d];
    return this.changeOnReplicas(f, s2, -1) + onD;
  }

  /** Goodput lost by removing f's replica on d (f on d). O(functions on f's devices). */
  lossRemove(f: number, d: number): number {
    if (this.rps[f] === 0) return 0;
    return -this.changeOnReplicas(f, this.scaleSum[f] - this.scale[d], d);
  }

  add(f: number, d: number): void {
    this.withdraw(f);
    this.replicas[f].push(d);
    this.scaleSum[f] += this.scale[d];
    this.deposit(f);
    this.on[f * this.nD + d] = 1;
    this.fnsOn[d].push(f);
    this.memFree[d] -= this.mem[f];
    this.refresh(f, d);
  }

  remove(f: number, d: number): void {
    this.withdraw(f);
    const reps = this.replicas[f];
    reps.splice(reps.indexOf(d), 1);
    this.scaleSum[f] = 0;
    for (const e of reps) this.scaleSum[f] += this.scale[e]; // re-summed: no drift after many moves
    this.deposit(f);
    this.on[f * this.nD + d] = 0;
    const on = this.fnsOn[d];
    on.splice(on.indexOf(f), 1);
    this.memFree[d] += this.mem[f];
    this.refresh(f, d);
  }

  /** Recomputes the cached goodput of the devices whose rates f's change moved: f's replicas and d. */
  private refresh(f: number, d: number): void {
    this.version++;
    for (const e of this.replicas[f]) this.servedOn[e] = this.deviceGoodput(e, this.load[e], this.moment2[e]);
    this.servedOn[d] = this.deviceGoodput(d, this.load[d], this.moment2[d]);
  }

  /** Σ served over devices. O(devices). */
  goodput(): number {
    let total = 0;
    for (let d = 0; d < this.nD; d++) total += this.servedOn[d];
    return total;
  }

  /** Goodput recomputed from the replica lists alone: checks the incremental bookkeeping. */
  recomputeGoodput(): number {
    const load = new Float64Array(this.nD);
    const m2 = new Float64Array(this.nD);
    for (let f = 0; f < this.nF; f++) {
      let s = 0;
      for (const e of this.replicas[f]) s += this.scale[e];
      for (const e of this.replicas[f]) {
        const r = (this.rps[f] * this.scale[e]) / s;
        load[e] += r * this.work[f];
        m2[e] += r * this.work[f] * this.run[f];
      }
    }
    let total = 0;
    for (let d = 0; d < this.nD; d++) total += this.deviceGoodput(d, load[d], m2[d]);
    return total;
  }

  /** Total requested rate, requests/s. */
  demand(): number {
    let total = 0;
    for (let f = 0; f < this.nF; f++) total += this.rps[f];
    return total;
  }

  private withdraw(f: number): void {
    this.route(f, -1);
  }

  private deposit(f: number): void {
    this.route(f, 1);
  }

  private route(f: number, sign: number): void {
    const reps = this.replicas[f];
    if (reps.length === 0) return;
    const r = this.rps[f];
    const w = this.work[f];
    const s = this.scaleSum[f];
    for (let k = 0; k < reps.length; k++) {
      const e = reps[k];
      const dr = (sign * r * this.scale[e]) / s;
      this.load[e] += dr * w;
      this.moment2[e] += dr * w * this.run[f];
      this.demandOn[e] += dr;
    }
  }
}

/** Utilisation the wait estimate saturates at: at 1 the M/G/1 wait is unbounded. */
const MAX_RHO = 0.999;

function nonNegative(x: number): number {
  return x > 0 && Number.isFinite(x) ? x : 0;
}

/** Sorted by key (plain code-unit order, locale-independent), first of each key kept. */
function dedupe<T>(items: readonly T[], key: (t: T) => string): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const item of items) {
    const k = key(item);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(item);
  }
  return out.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
