import { fmtBytes, fmtList, fmtNum } from '../util/format';
import { CandidateHeap } from './candidate-heap';
import { placementOutput } from './placement-output';
import { PlacementState } from './placement-state';
import { PlacementDecision, PlacementInput, PlacementParams } from './types';

/** Gains below this, requests/s, are noise from floating point, not a reason to move a model. */
const GAIN_EPSILON_RPS = 1e-6;
/** Removal that loses at most this much goodput, requests/s, counts as losing nothing. */
const ZERO_LOSS_RPS = 1e-6;
/** Bound on greedy passes; each pass after the first only picks up gains earlier additions raised. */
const MAX_GREEDY_PASSES = 8;

/**
 * State-aware placement: which function replicas run on which device, maximising estimated goodput
 * (requests/s within SLO, see PlacementState) with the greedy for monotone submodular maximisation
 * (Nemhauser, Wolsey & Fisher 1978; the EPARA notes' "Submodular full model placement"), evaluated
 * lazily (Minoux's accelerated greedy, 1978): a candidate's stale gain bounds its fresh one.
 *
 * 1. Sticky start: keep `current` on live devices within memory (over memory: drop what loses least).
 * 2. Every function gets one replica (its pinned count if pinned) where it gains most, if it fits
 *    anywhere, making room by unloading idle extra replicas (removal loses nothing) if it must.
 * 3. Repeatedly add the replica with the best gain minus move cost (loadMs × moveCostWeight) while
 *    positive; a candidate that does not fit may unload idle extra replicas on its device.
 * Never exceeds a device's memory. Deterministic: ties break by function name, then device id.
 * Cost ≈ passes × functions × devices × replicas per function.
 */
export function place(input: PlacementInput): PlacementDecision {
  const params = checkParams(input.params);
  const st = new PlacementState(input.functions, input.devices, params.headroom);
  const { nF, nD } = st;
  const pinned = (f: number): number | undefined => {
    const p = st.fns[f].pinnedReplicas;
    return p !== undefined && p >= 0 ? Math.floor(p) : undefined;
  };
  const limit = (f: number): number => pinned(f) ?? params.maxReplicasPerFunction;
  const moveCost = new Float64Array(nF);
  for (let f = 0; f < nF; f++) moveCost[f] = Math.max(0, st.fns[f].loadMs) * params.moveCostWeight;

  const notes: string[] = [];
  const evicted: string[] = [];
  const label = (f: number, d: number): string => `${st.fns[f].name}@${st.devs[d].id}`;

  /** Removes f's replica on d that loses least (ties → lower name). */
  const removeCheapest = (candidates: readonly number[], d: number): number => {
    let best = -1;
    let bestLoss = Infinity;
    for (const f of candidates) {
      const loss = st.lossRemove(f, d);
      if (loss < bestLoss || (loss === bestLoss && f < best)) {
        best = f;
        bestLoss = loss;
      }
    }
    st.remove(best, d);
    return best;
  };

  /**
   * Frees `needBytes` on d by unloading extra replicas (never a function's last, never pinned ones,
   * never `keep`) whose removal loses nothing. All or nothing. Returns false if it cannot.
   */
  const makeRoom = (d: number, needBytes: number, keep: number): boolean => {
    let freeable = st.memFree[d];
    for (const g of st.fnsOn[d]) if (g !== keep && pinned(g) === undefined && st.replicas[g].length > 1) freeable += st.mem[g];
    if (freeable < needBytes) return false;
    const undo: number[] = [];
    while (st.memFree[d] < needBytes) {
      let pick = -1;
      for (const g of st.fnsOn[d]) {
        if (g === keep || pinned(g) !== undefined || st.replicas[g].length < 2) continue;
        if (st.lossRemove(g, d) > ZERO_LOSS_RPS) continue;
        if (pick < 0 || st.mem[g] > st.mem[pick] || (st.mem[g] === st.mem[pick] && g < pick)) pick = g;
      }
      if (pick < 0) break;
      st.remove(pick, d);
      undo.push(pick);
    }
    if (st.memFree[d] >= needBytes) {
      for (const g of undo) evicted.push(label(g, d));
      return true;
    }
    for (const g of undo) st.add(g, d);
    return false;
  };

  // 1. Sticky start.
  let kept = 0;
  for (const dev of Object.keys(input.current).sort()) {
    const d = st.dIndex.get(dev);
    if (d === undefined || !st.live[d]) continue;
    for (const name of input.current[dev]) {
      const f = st.fIndex.get(name);
      if (f !== undefined && !st.isOn(f, d)) st.add(f, d);
    }
  }
  for (let d = 0; d < nD; d++) {
    while (st.memFree[d] < 0) notes.push(`over memory, dropped ${label(removeCheapest(st.fnsOn[d], d), d)}`);
  }
  for (let f = 0; f < nF; f++) {
    while (st.replicas[f].length > limit(f)) {
      const d = cheapestReplica(st, f);
      st.remove(f, d);
      notes.push(`over replica limit, dropped ${label(f, d)}`);
    }
    kept += st.replicas[f].length;
  }

  // 2. Every function gets its first replica (or its pinned count), heaviest first.
  const order: number[] = [];
  for (let f = 0; f < nF; f++) if (st.replicas[f].length < (pinned(f) ?? 1)) order.push(f);
  order.sort((a, b) => st.rps[b] * st.work[b] - st.rps[a] * st.work[a] || a - b);
  const unplaced: string[] = [];
  const outsideSlo: string[] = [];
  for (const f of order) {
    const target = pinned(f) ?? 1;
    while (st.replicas[f].length < target) {
      let d = bestFirstDevice(st, f);
      if (d < 0) d = roomByEviction(st, f, makeRoom);
      if (d < 0) break;
      if (!st.meetsSlo(f, d)) outsideSlo.push(st.fns[f].name);
      st.add(f, d);
    }
    if (st.replicas[f].length === 0) {
      let largest = 0;
      for (let d = 0; d < nD; d++) if (st.live[d] && st.memCap[d] > largest) largest = st.memCap[d];
      unplaced.push(`${st.fns[f].name} (needs ${fmtBytes(st.mem[f])}, largest live device ${fmtBytes(largest)})`);
    }
  }

  // 3. Lazy greedy on gain − move cost. A pass ends when no candidate gains; another pass picks up
  //    candidates whose gain rose since (adding g can raise f's gain), until a pass adds nothing.
  const heap = new CandidateHeap(Math.min(nF * nD, 1 << 16));
  let greedyAdded = 0;
  for (let pass = 0; pass < MAX_GREEDY_PASSES; pass++) {
    heap.clear();
    for (let f = 0; f < nF; f++) {
      const n = st.replicas[f].length;
      if (n === 0 || n >= limit(f) || pinned(f) !== undefined || st.rps[f] === 0) continue;
      for (let d = 0; d < nD; d++) {
        if (!st.live[d] || st.isOn(f, d) || st.memCap[d] < st.mem[f] || !st.meetsSlo(f, d)) continue;
        const gain = st.gainAdd(f, d) - moveCost[f];
        if (gain > GAIN_EPSILON_RPS) heap.append(gain, f, d);
      }
    }
    heap.heapify();
    let addedThisPass = 0;
    while (heap.size > 0) {
      const f = heap.topF();
      const d = heap.topD();
      heap.pop();
      if (st.isOn(f, d) || st.replicas[f].length >= limit(f)) continue;
      const gain = st.gainAdd(f, d) - moveCost[f];
      if (gain <= GAIN_EPSILON_RPS) continue;
      if (!heap.beatsTop(gain, f, d)) {
        heap.push(gain, f, d); // stale: its fresh gain no longer leads
        continue;
      }
      if (st.memFree[d] < st.mem[f] && !makeRoom(d, st.mem[f], f)) continue;
      st.add(f, d);
      addedThisPass++;
    }
    greedyAdded += addedThisPass;
    if (addedThisPass === 0) break;
  }

  const out = placementOutput(st, input.current, '');
  const demand = st.demand();
  const parts = [
    `greedy placement: ${kept} kept, ${out.changes.added.length} added (${greedyAdded} for goodput), ${out.changes.removed.length} removed`,
    `goodput ≈ ${fmtNum(out.estimatedGoodput)} of ${fmtNum(demand)} rps${demand > 0 ? ` (${fmtNum((100 * out.estimatedGoodput) / demand)}%)` : ''}`,
  ];
  const lost = lostDevices(st, input.current);
  if (lost.length) parts.push(`gone devices: ${fmtList(lost)}`);
  if (evicted.length) parts.push(`unloaded idle replicas for room: ${fmtList(evicted)}`);
  if (notes.length) parts.push(fmtList(notes));
  if (unplaced.length) parts.push(`unplaced: ${fmtList(unplaced)}`);
  if (outsideSlo.length) parts.push(`no device meets the SLO at batch 1, placed anyway: ${fmtList(outsideSlo)}`);
  out.reason = parts.join('; ');
  return out;
}

function checkParams(p: PlacementParams): PlacementParams {
  const bad: string[] = [];
  if (!(p.moveCostWeight >= 0)) bad.push(`moveCostWeight=${p.moveCostWeight} (expected ≥ 0)`);
  if (!(p.maxReplicasPerFunction >= 1)) bad.push(`maxReplicasPerFunction=${p.maxReplicasPerFunction} (expected ≥ 1)`);
  if (!(p.headroom > 0 && p.headroom <= 1)) bad.push(`headroom=${p.headroom} (expected in (0, 1])`);
  if (bad.length) throw new Error(`place: invalid params: ${bad.join(', ')}`);
  return p;
}

/** f's replica whose removal loses least (ties → lower device id). */
function cheapestReplica(st: PlacementState, f: number): number {
  let best = -1;
  let bestLoss = Infinity;
  for (const d of st.replicas[f]) {
    const loss = st.lossRemove(f, d);
    if (loss < bestLoss || (loss === bestLoss && d < best)) {
      best = d;
      bestLoss = loss;
    }
  }
  return best;
}

/**
 * Where f's next must-have replica goes: a live device with room, meeting the SLO if any does; then
 * most gain, then least utilised (spreads idle functions), then most free memory, then lowest id.
 */
function bestFirstDevice(st: PlacementState, f: number): number {
  let best = -1;
  let bestSlo = false;
  let bestGain = 0;
  let bestUtil = 0;
  for (let d = 0; d < st.nD; d++) {
    if (!st.live[d] || st.isOn(f, d) || st.memFree[d] < st.mem[f]) continue;
    const slo = st.meetsSlo(f, d);
    const gain = st.gainAdd(f, d);
    const util = st.load[d] / st.cap[d];
    const better =
      best < 0 ||
      (slo && !bestSlo) ||
      (slo === bestSlo &&
        (gain > bestGain ||
          (gain === bestGain && (util < bestUtil || (util === bestUtil && st.memFree[d] > st.memFree[best])))));
    if (better) {
      best = d;
      bestSlo = slo;
      bestGain = gain;
      bestUtil = util;
    }
  }
  return best;
}

/** A device where unloading idle extra replicas makes room for f: SLO-meeting devices first, then by id. */
function roomByEviction(st: PlacementState, f: number, makeRoom: (d: number, needBytes: number, keep: number) => boolean): number {
  for (const wantSlo of [true, false]) {
    for (let d = 0; d < st.nD; d++) {
      if (!st.live[d] || st.isOn(f, d) || st.memCap[d] < st.mem[f] || st.meetsSlo(f, d) !== wantSlo) continue;
      if (makeRoom(d, st.mem[f], f)) return d;
    }
  }
  return -1;
}

/** Devices in `current` that are lost or no longer known, with how many replicas they held. */
function lostDevices(st: PlacementState, current: Readonly<Record<string, readonly string[]>>): string[] {
  const out: string[] = [];
  for (const dev of Object.keys(current).sort()) {
    const d = st.dIndex.get(dev);
    if ((d === undefined || !st.live[d]) && current[dev].length > 0) out.push(`${dev} (${current[dev].length} replicas)`);
  }
  return out;
}
