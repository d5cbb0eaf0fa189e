import { Mode } from '@epara/contracts/vocabulary';
import { PlacementDevice, PlacementFunction } from './types';

/**
 * The placement being built and its goodput under a simple load model, kept incrementally so that
 * the gain of one more (or one less) replica costs O(replicas of that function).
 *
 * Load model (all in "reference-device seconds per second", i.e. utilisation of a computeScale-1 device):
 * - a request of f costs work_f = 1 / (1000 × throughput_f) s, where throughput is items/ms at the
 *   best batch for `batch`/`pp` and 1 / execMsBatch1 for `dp`/`sp` (they batch little);
 * - f's rate is split over its replicas in proportion to their devices' computeScale (what
 *   power-of-two-choices routing converges to on queue depth);
 * - a device has capacity headroom × computeScale and shares it among its functions in proportion
 *   to demand, so when overloaded every function there is served the same fraction cap / load;
 * - a replica on a device where batch 1 takes longer than the SLO adds load but no goodput.
 * Goodput = Σ over devices of (in-SLO rate routed there) × min(1, cap / load).
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
  /** In-SLO rate routed to each device, requests/s. */
  readonly good: Float64Array;
  /** Work routed to each device, reference-device utilisation. */
  readonly load: Float64Array;
  /** Function indices on each device, unordered. */
  readonly fnsOn: number[][];
  private readonly on: Uint8Array;

  constructor(functions: readonly PlacementFunction[], devices: readonly PlacementDevice[], headroom: number) {
    this.fns = dedupe(functions, (f) => f.name);
    this.devs = dedupe(devices, (d) => d.id);
    const nF = (this.nF = this.fns.length);
    const nD = (this.nD = this.devs.length);
    this.rps = new Float64Array(nF);
    this.work = new Float64Array(nF);
    this.mem = new Float64Array(nF);
    this.exec1 = new Float64Array(nF);
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
      this.replicas.push([]);
    }
    this.scale = new Float64Array(nD);
    this.cap = new Float64Array(nD);
    this.memCap = new Float64Array(nD);
    this.memFree = new Float64Array(nD);
    this.live = new Uint8Array(nD);
    this.good = new Float64Array(nD);
    this.load = new Float64Array(nD);
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

  /** Goodput the device yields with `good` in-SLO rate and `load` work routed to it. */
  served(d: number, good: number, load: number): number {
    if (good <= 0) return 0;
    return load <= this.cap[d] ? good : (good * this.cap[d]) / load;
  }

  private servedChange(d: number, dGood: number, dLoad: number): number {
    const g = this.good[d];
    const l = this.load[d];
    return this.served(d, g + dGood, l + dLoad) - this.served(d, g, l);
  }

  /** Goodput gained by adding a replica of f on d (f not on d). O(replicas of f). */
  gainAdd(f: number, d: number): number {
    const r = this.rps[f];
    if (r === 0) return 0;
    const w = this.work[f];
    const s = this.scaleSum[f];
    const s2 = s + this.scale[d];
    const reps = this.replicas[f];
    let delta = 0;
    for (let k = 0; k < reps.length; k++) {
      const e = reps[k];
      const dr = r * this.scale[e] * (1 / s2 - 1 / s);
      delta += this.servedChange(e, this.meetsSlo(f, e) ? dr : 0, dr * w);
    }
    const dr = (r * this.scale[d]) / s2;
    return delta + this.servedChange(d, this.meetsSlo(f, d) ? dr : 0, dr * w);
  }

  /** Goodput lost by removing f's replica on d (f on d). O(replicas of f). */
  lossRemove(f: number, d: number): number {
    const r = this.rps[f];
    if (r === 0) return 0;
    const w = this.work[f];
    const s = this.scaleSum[f];
    const s2 = s - this.scale[d];
    const reps = this.replicas[f];
    let delta = 0;
    for (let k = 0; k < reps.length; k++) {
      const e = reps[k];
      // The last replica takes f's whole rate with it; otherwise the others absorb its share.
      const dr = e === d ? (-r * this.scale[d]) / s : reps.length > 1 ? r * this.scale[e] * (1 / s2 - 1 / s) : 0;
      delta += this.servedChange(e, this.meetsSlo(f, e) ? dr : 0, dr * w);
    }
    return -delta;
  }

  add(f: number, d: number): void {
    this.withdraw(f);
    this.replicas[f].push(d);
    this.scaleSum[f] += this.scale[d];
    this.deposit(f);
    this.on[f * this.nD + d] = 1;
    this.fnsOn[d].push(f);
    this.memFree[d] -= this.mem[f];
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
  }

  /** Σ served over devices. O(devices). */
  goodput(): number {
    let total = 0;
    for (let d = 0; d < this.nD; d++) total += this.served(d, this.good[d], this.load[d]);
    return total;
  }

  /** Goodput recomputed from the replica lists alone: checks the incremental bookkeeping. */
  recomputeGoodput(): number {
    const good = new Float64Array(this.nD);
    const load = new Float64Array(this.nD);
    for (let f = 0; f < this.nF; f++) {
      let s = 0;
      for (const e of this.replicas[f]) s += this.scale[e];
      for (const e of this.replicas[f]) {
        const r = (this.rps[f] * this.scale[e]) / s;
        if (this.meetsSlo(f, e)) good[e] += r;
        load[e] += r * this.work[f];
      }
    }
    let total = 0;
    for (let d = 0; d < this.nD; d++) total += this.served(d, good[d], load[d]);
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
      if (this.meetsSlo(f, e)) this.good[e] += dr;
      this.load[e] += dr * w;
    }
  }
}

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
