import { fmtBytes, fmtList } from '../util/format';
import { CandidateHeap } from './candidate-heap';
import { describeEstimate, placementOutput } from './placement-output';
import { PlacementState } from './placement-state';
import { PlacementDecision, PlacementInput, PlacementParams } from './types';

/** Gains below this, requests/s, are floating-point noise, not a reason to load a model. */
const GAIN_EPSILON_RPS = 1e-6;
/** A removal that loses at most this, requests/s, loses nothing: the replica is an idle extra. */
const ZERO_LOSS_RPS = 1e-6;
/** Bound on greedy passes; a pass after the first picks up gains that earlier additions raised. */
const MAX_GREEDY_PASSES = 64;
/** Devices a function's next replica is evaluated on per greedy pass: the least utilised with room. */
const CANDIDATE_DEVICES = 8;
/** Bound on greedy ↔ first-replica rounds (each round places at least one more function). */
const MAX_ROUNDS = 4;

/**
 * State-aware placement: which function replicas run on which device, maximising estimated goodput
 * (requests/s within SLO, see PlacementState) with the greedy for monotone submodular maximisation
 * (Nemhauser, Wolsey & Fisher 1978; the submodular full-model placement of the EPARA paper),
 * evaluated lazily (Minoux's accelerated greedy, 1978).
 *
 * 1. Sticky start: keep `current` on live devices within memory and replica limits (when over, drop
 *    what loses least).
 * 2. Every function gets one replica (its pinned count if pinned) where it gains most, if it fits
 *    anywhere; to make room, unload extra replicas (never a function's last), idle ones first.
 * 3. Repeatedly add the replica with the best gain minus move cost (loadMs × moveCostWeight) while
 *    positive; one that does not fit may unload idle extra replicas (removal loses nothing) there.
 * 4. Remove extra replicas whose removal raises goodput by more than their move cost (the load model
 *    counts the wait behind other functions' runs, so a replica can hurt where it shares a device with
 *    long runs).
 * 2 to 4 repeat until a round changes nothing (so a steady input gives a fixed point: stickiness).
 * Never exceeds a device's memory. Deterministic: ties break by function name, then device id.
 * Cost ≈ rounds × passes × functions × CANDIDATE_DEVICES × (functions per device), plus the heap's
 * re-evaluations; a gain's part on the function's existing replicas is memoised per pass.
 */
export function place(input: PlacementInput): PlacementDecision {
  const params = checkParams(input.params);
  const st = new PlacementState(input.functions, input.devices, params.headroom);
  const { nF, nD } = st;
  const pinnedCount = new Int32Array(nF).fill(-1);
  for (let f = 0; f < nF; f++) {
    const p = st.fns[f].pinnedReplicas;
    if (p !== undefined && p >= 0) pinnedCount[f] = Math.floor(p);
  }
  const isPinned = (f: number): boolean => pinnedCount[f] >= 0;
  const limit = (f: number): number => (isPinned(f) ? pinnedCount[f] : params.maxReplicasPerFunction);
  const moveCost = new Float64Array(nF);
  for (let f = 0; f < nF; f++) moveCost[f] = Math.max(0, st.fns[f].loadMs) * params.moveCostWeight;
  /** An extra replica: may be unloaded for room (not pinned, not the function's last). */
  const isExtra = (g: number): boolean => !isPinned(g) && st.replicas[g].length > 1;

  const notes: string[] = [];
  const unloaded: string[] = [];
  const label = (f: number, d: number): string => `${st.fns[f].name}@${st.devs[d].id}`;

  /**
   * Frees `needBytes` on d by unloading extra replicas (never `keep`), each time the one that loses
   * least (idle ones lose nothing; then larger first, then by name), none losing more than
   * `maxLossRps`. All or nothing; returns the goodput lost, or -1 (state unchanged) if it cannot.
   */
  const freeMemory = (d: number, needBytes: number, keep: number, maxLossRps: number, dryRun: boolean): number => {
    let freeable = st.memFree[d];
    for (const g of st.fnsOn[d]) if (g !== keep && isExtra(g)) freeable += st.mem[g];
    if (freeable < needBytes) return -1;
    const undo: number[] = [];
    let lost = 0;
    while (st.memFree[d] < needBytes) {
      let pick = -1;
      let pickLoss = 0;
      for (const g of st.fnsOn[d]) {
        if (g === keep || !isExtra(g)) continue;
        const raw = st.lossRemove(g, d);
        const loss = raw <= ZERO_LOSS_RPS ? 0 : raw;
        if (loss > maxLossRps) continue;
        if (pick < 0 || loss < pickLoss || (loss === pickLoss && (st.mem[g] > st.mem[pick] || (st.mem[g] === st.mem[pick] && g < pick)))) {
          pick = g;
          pickLoss = loss;
        }
      }
      if (pick < 0) break;
      st.remove(pick, d);
      undo.push(pick);
      lost += pickLoss;
    }
    const ok = st.memFree[d] >= needBytes;
    if (ok && !dryRun) {
      for (const g of undo) unloaded.push(label(g, d));
      return lost;
    }
    for (let i = undo.length - 1; i >= 0; i--) st.add(undo[i], d);
    return ok ? lost : -1;
  };

  // A failed idle-only freeMemory(d, need) fails again for any need ≥ it until the placement changes.
  let version = 0;
  const failedAt = new Float64Array(nD).fill(-1);
  const failedNeed = new Float64Array(nD);
  const freeIdleMemory = (d: number, needBytes: number, keep: number): boolean => {
    if (failedAt[d] === version && needBytes >= failedNeed[d]) return false;
    if (freeMemory(d, needBytes, keep, 0, false) >= 0) return true;
    failedAt[d] = version;
    failedNeed[d] = needBytes;
    return false;
  };
  const add = (f: number, d: number): void => {
    st.add(f, d);
    version++;
  };

  // 1. Sticky start.
  for (const dev of Object.keys(input.current).sort()) {
    const d = st.dIndex.get(dev);
    if (d === undefined || !st.live[d]) continue;
    for (const name of input.current[dev]) {
      const f = st.fIndex.get(name);
      if (f !== undefined && !st.isOn(f, d)) st.add(f, d);
    }
  }
  for (let d = 0; d < nD; d++) {
    while (st.memFree[d] < 0) notes.push(`over memory, dropped ${label(cheapestOnDevice(st, d), d)}`);
  }
  let kept = 0;
  for (let f = 0; f < nF; f++) {
    while (st.replicas[f].length > limit(f)) notes.push(`over replica limit, dropped ${label(f, cheapestReplica(st, f))}`);
    kept += st.replicas[f].length;
  }

  // 2. First replicas (or pinned counts), heaviest function first. Returns how many it added.
  const ensure = (): number => {
    const order: number[] = [];
    for (let f = 0; f < nF; f++) if (st.replicas[f].length < (isPinned(f) ? pinnedCount[f] : 1)) order.push(f);
    order.sort((a, b) => st.rps[b] * st.work[b] - st.rps[a] * st.work[a] || a - b);
    let added = 0;
    for (const f of order) {
      const target = isPinned(f) ? pinnedCount[f] : 1;
      while (st.replicas[f].length < target) {
        let d = bestFirstDevice(st, f);
        if (d < 0) d = deviceByUnloading(st, f, freeMemory);
        if (d < 0) break;
        add(f, d);
        added++;
      }
    }
    return added;
  };

  // 3. Lazy greedy on gain − move cost. A pass ends when no candidate gains; the next picks up
  //    candidates whose gain rose since (adding g can raise f's), until a pass adds nothing.
  const heap = new CandidateHeap(Math.min(nF * nD, 1 << 16));
  const roomBytes = new Float64Array(nD);
  const byLoad = new Int32Array(nD);
  let greedyAdded = 0;
  const greedy = (): void => {
    for (let pass = 0; pass < MAX_GREEDY_PASSES; pass++) {
      heap.clear();
      // Memory a candidate could get on each device: free plus the extra replicas there.
      let nLive = 0;
      for (let d = 0; d < nD; d++) {
        if (!st.live[d]) continue;
        let bytes = st.memFree[d];
        for (const g of st.fnsOn[d]) if (isExtra(g)) bytes += st.mem[g];
        roomBytes[d] = bytes;
        byLoad[nLive++] = d;
      }
      // Least utilised first: a new replica gains most where little else runs, so each function is
      // evaluated on at most CANDIDATE_DEVICES of those with room (the gain costs O(functions there)).
      byLoad.subarray(0, nLive).sort((a, b) => st.load[a] / st.scale[a] - st.load[b] / st.scale[b] || a - b);
      for (let f = 0; f < nF; f++) {
        const n = st.replicas[f].length;
        if (n === 0 || n >= limit(f) || isPinned(f) || st.rps[f] === 0) continue;
        let fDeficit = 0;
        for (const e of st.replicas[f]) fDeficit += st.deficit(e);
        let tried = 0;
        for (let k = 0; k < nLive && tried < CANDIDATE_DEVICES; k++) {
          const d = byLoad[k];
          if (roomBytes[d] < st.mem[f] || st.isOn(f, d) || !st.meetsSlo(f, d)) continue;
          if (fDeficit + st.deficit(d) - moveCost[f] <= GAIN_EPSILON_RPS) continue; // cannot gain enough (PlacementState.deficit)
          tried++;
          const gain = st.gainAdd(f, d) - moveCost[f];
          if (gain > GAIN_EPSILON_RPS) heap.append(gain, f, d);
        }
      }
      heap.heapify();
      let added = 0;
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
        if (st.memFree[d] < st.mem[f] && !freeIdleMemory(d, st.mem[f], f)) continue;
        add(f, d);
        added++;
      }
      greedyAdded += added;
      if (added === 0) return;
    }
  };

  // 4. Prune: an extra replica whose removal raises goodput by more than loading it again would cost goes
  //    (a hot function's replica left next to long runs that delay it, once a better device took its
  //    share). The move-cost bar is the same one an add must clear, so a replica is not unloaded on a
  //    small rate dip only to be loaded again on the next rise. Never a function's last or pinned one.
  const pruned: string[] = [];
  const prune = (): number => {
    const before = pruned.length;
    for (let f = 0; f < nF; f++) {
      for (const d of [...st.replicas[f]]) {
        if (isExtra(f) && -st.lossRemove(f, d) - moveCost[f] > GAIN_EPSILON_RPS) {
          st.remove(f, d);
          version++;
          pruned.push(label(f, d));
        }
      }
    }
    return pruned.length - before;
  };

  ensure();
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const addedBefore = greedyAdded;
    greedy();
    const removed = prune();
    // A prune can raise other candidates' gains: go round again until nothing changes (a fixed point).
    if (ensure() === 0 && removed === 0 && greedyAdded === addedBefore) break;
  }

  const out = placementOutput(st, input.current, '');
  const demand = st.demand();
  const parts = [
    `greedy placement: ${kept} kept, ${out.changes.added.length} added (${greedyAdded} for goodput), ${out.changes.removed.length} removed`,
    describeEstimate(out.estimatedGoodput, demand),
  ];
  const gone = goneDevices(st, input.current);
  if (gone.length) parts.push(`gone devices: ${fmtList(gone)}`);
  if (unloaded.length) parts.push(`unloaded extra replicas for room: ${fmtList(unloaded)}`);
  if (pruned.length) parts.push(`removed replicas that cost more goodput than they served: ${fmtList(pruned)}`);
  if (notes.length) parts.push(fmtList(notes));
  const unplaced = unplacedReasons(st);
  if (unplaced.length) parts.push(`unplaced: ${fmtList(unplaced)}`);
  const outsideSlo: string[] = [];
  for (let f = 0; f < nF; f++) {
    const reps = st.replicas[f];
    if (reps.length > 0 && reps.every((d) => !st.meetsSlo(f, d))) outsideSlo.push(st.fns[f].name);
  }
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

/** Removes and returns the function on d whose removal loses least (ties → lower name). */
function cheapestOnDevice(st: PlacementState, d: number): number {
  let best = -1;
  let bestLoss = Infinity;
  for (const f of st.fnsOn[d]) {
    const loss = st.lossRemove(f, d);
    if (loss < bestLoss || (loss === bestLoss && f < best)) {
      best = f;
      bestLoss = loss;
    }
  }
  st.remove(best, d);
  return best;
}

/** Removes and returns f's replica whose removal loses least (ties → lower device id). */
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
  st.remove(f, best);
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
        (gain > bestGain || (gain === bestGain && (util < bestUtil || (util === bestUtil && st.memFree[d] > st.memFree[best])))));
    if (better) {
      best = d;
      bestSlo = slo;
      bestGain = gain;
      bestUtil = util;
    }
  }
  return best;
}

type FreeMemory = (d: number, needBytes: number, keep: number, maxLossRps: number, dryRun: boolean) => number;

/**
 * A device where unloading extra replicas makes room for f's must-have replica, losing least goodput
 * (SLO-meeting devices first, ties → lower id); the room is made. -1 if there is none.
 */
function deviceByUnloading(st: PlacementState, f: number, freeMemory: FreeMemory): number {
  for (const wantSlo of [true, false]) {
    let best = -1;
    let bestLoss = Infinity;
    for (let d = 0; d < st.nD; d++) {
      if (!st.live[d] || st.isOn(f, d) || st.memCap[d] < st.mem[f] || st.meetsSlo(f, d) !== wantSlo) continue;
      const loss = freeMemory(d, st.mem[f], f, Infinity, true);
      if (loss >= 0 && loss < bestLoss) {
        best = d;
        bestLoss = loss;
      }
    }
    if (best >= 0 && freeMemory(best, st.mem[f], f, Infinity, false) >= 0) return best;
  }
  return -1;
}

/** Functions without a replica, and why. */
function unplacedReasons(st: PlacementState): string[] {
  let largest = 0;
  for (let d = 0; d < st.nD; d++) if (st.live[d] && st.memCap[d] > largest) largest = st.memCap[d];
  const out: string[] = [];
  for (let f = 0; f < st.nF; f++) {
    if (st.replicas[f].length > 0 || st.fns[f].pinnedReplicas === 0) continue;
    const need = fmtBytes(st.mem[f]);
    out.push(
      st.mem[f] > largest
        ? `${st.fns[f].name} (needs ${need}, largest live device ${fmtBytes(largest)})`
        : `${st.fns[f].name} (needs ${need}, no room: devices hold other functions' only replicas)`,
    );
  }
  return out;
}

/** Devices in `current` that are lost or no longer known, with how many replicas they held. */
function goneDevices(st: PlacementState, current: Readonly<Record<string, readonly string[]>>): string[] {
  const out: string[] = [];
  for (const dev of Object.keys(current).sort()) {
    const d = st.dIndex.get(dev);
    if ((d === undefined || !st.live[d]) && current[dev].length > 0) out.push(`${dev} (${current[dev].length} replicas)`);
  }
  return out;
}
