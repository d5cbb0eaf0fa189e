import { categorize, place, PlacementDecision, PlacementDevice, PlacementFunction, ServingPolicy, simplePlacement } from '@epara/policy';
import { assignmentFor, AssignmentLimits as Assignment, HEADROOM, MOVE_COST_WEIGHT, toPlacementFunction } from '@epara/policy';
import { RateTracker } from './glue/rate-tracker';
import { SimFunction } from './sim-function';
import { SimGateway } from './sim-gateway';
import { SimWorker } from './sim-worker';

/** Modelled duration of one scheduler round, ms: computing it plus one KV round trip per record or device key written. */
export const ROUND_BASE_MS = 20;
export const ROUND_WRITE_MS = 0.66;

export interface SchedulerHost {
  nowMs(): number;
  /** Run a round at `atMs` (≥ now; after the events already scheduled for that instant). */
  scheduleRound(atMs: number): void;
  onRecategorized(fn: SimFunction, from: string, to: string): void;
}

/**
 * The state-aware scheduler's round (scheduler.service.ts `round`): re-categorize with the observed
 * rates (hysteresis in the policy), decide the placement (`place` / `simplePlacement`, one replica
 * pinned for `naive`), and write it: each worker whose assignments changed reconciles, and the
 * gateway's replica lists follow. Rounds never overlap; triggers during a round fold into one more.
 */
export class SimScheduler {
  readonly rates: RateTracker;
  private pending = false;
  /** What is placed now (the placement KV): device id → function names. */
  private current: Record<string, string[]> = {};
  /** Assignments last written per device: fn → assignment. */
  private readonly written: Map<number, Assignment>[];
  private readonly placementDevices: PlacementDevice[];
  private readonly deviceMemory: { memoryBytes: number; memoryFreeBytes: number }[];
  private readonly fnIndex = new Map<string, number>();
  rounds = 0;
  placementMs = 0;
  private everywhere?: { key: string; decision: PlacementDecision };
  /** Per device: its function list as last written, and the assignment version it was written with. */
  private readonly writtenNames: (readonly string[])[];
  private writtenVersion: number[];
  /** fn → device indices of the last placement written, and the placement they were built from. */
  private replicas: number[][] = [];
  private replicasOf?: Record<string, string[]>;
  /** Bumped whenever some function's assignment changes. */
  private assignmentVersion = 0;
  lastReason = '';

  constructor(
    private readonly policy: ServingPolicy,
    private readonly fns: readonly SimFunction[],
    private readonly workers: readonly SimWorker[],
    private readonly gateway: SimGateway,
    private readonly host: SchedulerHost,
  ) {
    this.rates = new RateTracker(workers.length, fns.length);
    this.written = workers.map(() => new Map());
    this.writtenNames = workers.map(() => []);
    this.writtenVersion = workers.map(() => -1);
    // The app passes computeScale 1 for every device (DeviceState has no speed yet); the simulator passes the real one.
    this.placementDevices = workers.map((w) => ({ id: w.id, memoryBytes: w.spec.memoryBytes, computeScale: w.spec.computeScale, lost: false }));
    this.deviceMemory = workers.map((w) => ({ memoryBytes: w.spec.memoryBytes, memoryFreeBytes: w.spec.memoryBytes }));
    fns.forEach((f) => this.fnIndex.set(f.name, f.index));
  }

  /** Whether rounds read observed rates (else heartbeats need not feed the tracker). */
  get usesRates(): boolean {
    return this.policy.categorize || this.policy.placement !== 'everywhere';
  }

  /** Virtual time until which the round in progress runs: triggers meanwhile fold into one round after it. */
  private busyUntilMs = -Infinity;

  /** scheduler.service.ts `trigger`: one round soon; triggers while one is pending fold into it. */
  trigger(): void {
    if (this.pending) return;
    this.pending = true;
    this.host.scheduleRound(Math.max(this.host.nowMs(), this.busyUntilMs));
  }

  round(): void {
    this.pending = false;
    const t0 = performance.now();
    let recategorized = 0;
    if (this.policy.categorize) recategorized = this.recategorize();
    const decision = this.decide();
    const writes = this.write(decision);
    this.rounds++;
    this.placementMs += performance.now() - t0;
    this.lastReason = decision.reason;
    // A round takes time in the app (KV reads and writes): model it, so triggers during it fold.
    this.busyUntilMs = this.host.nowMs() + ROUND_BASE_MS + ROUND_WRITE_MS * (writes + recategorized);
    // The record changed in KV: the scheduler's own watch triggers one more round.
    if (recategorized > 0) this.trigger();
  }

  /** scheduler.service.ts `recategorize`: returns how many functions changed category. */
  private recategorize(): number {
    const now = this.host.nowMs();
    let changed = 0;
    for (const f of this.fns) {
      const observedRps = this.rates.rps(f.index, now);
      const profile = f.storedProfile;
      const c = f.category;
      const d = categorize({
        slo: { latencyMs: f.spec.sloMs },
        expectedRps: f.spec.expectedRps,
        observedRps: observedRps > 0 ? observedRps : undefined,
        profile: profile ? { execMsByBatch: profile.execMsByBatch, memoryBytes: profile.memoryBytes } : undefined,
        modelSizeBytes: f.spec.modelSizeBytes,
        devices: this.deviceMemory,
        hints: f.spec.hints,
        kindCanSplit: f.spec.kindCanSplit,
        previous: c.provisional ? undefined : { sensitivity: c.sensitivity, footprint: c.footprint, heldForMs: now - c.decidedAtMs },
      });
      if (d.mode === c.mode && d.sensitivity === c.sensitivity && d.footprint === c.footprint && d.provisional === c.provisional) continue;
      const from = `${c.sensitivity}×${c.footprint}→${c.mode}`;
      f.category = { sensitivity: d.sensitivity, footprint: d.footprint, mode: d.mode, provisional: d.provisional, reason: d.reason, decidedAtMs: now };
      changed++;
      const to = `${d.sensitivity}×${d.footprint}→${d.mode}`;
      if (to !== from) this.host.onRecategorized(f, from, to);
    }
    return changed;
  }

  /** scheduler.service.ts `decide`. */
  private decide(): PlacementDecision {
    const now = this.host.nowMs();
    const functions: PlacementFunction[] = [];
    for (const f of this.fns) {
      // pp needs stage models, which the simulator does not have: not placed (the gateway answers 501).
      if (f.category.mode === 'pp') continue;
      const rps = this.usesRates ? this.rates.rps(f.index, now) : 0;
      functions.push(
        toPlacementFunction(
          { name: f.name, mode: f.category.mode, sloMs: f.spec.sloMs, profile: f.storedProfile, modelSizeBytes: f.spec.modelSizeBytes, hints: f.spec.hints, expectedRps: f.spec.expectedRps },
          rps,
          this.policy.placement,
          this.workers.length,
        ),
      );
    }
    if (this.policy.placement === 'everywhere') {
      // simplePlacement's choice depends only on the functions' names and memory and the devices (rates
      // and times only feed its reason): reuse it while those are unchanged, it is O(functions × devices).
      const key = functions.map((f) => `${f.name}:${f.memoryBytes}`).join(',');
      if (this.everywhere?.key !== key) this.everywhere = { key, decision: simplePlacement(functions, this.placementDevices, this.current) };
      return this.everywhere.decision;
    }
    return place({
      functions,
      devices: this.placementDevices,
      current: this.current,
      params: { moveCostWeight: MOVE_COST_WEIGHT, maxReplicasPerFunction: this.workers.length, headroom: HEADROOM },
    });
  }

  /** scheduler.service.ts `write`: only devices whose assignments changed reconcile. Returns how many device keys were written. */
  private write(decision: PlacementDecision): number {
    // The cached `everywhere` decision comes back as the same object: its replica lists are unchanged.
    const rebuild = decision.byDevice !== this.replicasOf;
    const replicas: number[][] = rebuild ? this.fns.map(() => []) : this.replicas;
    const modes: string[] = this.fns.map((f) => (f.category.mode === 'batch' ? 'batch' : 'dp'));
    let writes = 0;
    // Refresh every function's assignment first: a change bumps the version, so no device skips it.
    for (const f of this.fns) this.assignmentOf(f);
    for (const w of this.workers) {
      const names = decision.byDevice[w.id] ?? [];
      if (rebuild) for (const name of names) replicas[this.fnIndex.get(name)!].push(w.index);
      // Unchanged list and no assignment changed anywhere: the same assignments as written.
      if (this.writtenVersion[w.index] === this.assignmentVersion && sameNames(this.writtenNames[w.index], names)) continue;
      const next = new Map<number, Assignment>();
      for (const name of names) {
        const f = this.fnIndex.get(name)!;
        next.set(f, this.assignmentOf(this.fns[f]));
      }
      this.writtenNames[w.index] = names;
      this.writtenVersion[w.index] = this.assignmentVersion;
      const prev = this.written[w.index];
      if (!sameAssignments(prev, next)) {
        this.written[w.index] = next;
        w.reconcile(next);
        writes++;
      }
    }
    this.replicas = replicas;
    this.replicasOf = decision.byDevice;
    this.gateway.setPlacement(replicas, modes);
    this.current = decision.byDevice;
    return writes;
  }

  /** The assignment depends only on the category's mode and whether the profile is stored: computed once per change. */
  private readonly assignments = new Map<number, { key: string; a: Assignment }>();
  private assignmentOf(fn: SimFunction): Assignment {
    const key = `${fn.category.mode}/${fn.profiled}`;
    const cached = this.assignments.get(fn.index);
    if (cached && cached.key === key) return cached.a;
    const a = assignmentFor(fn.category.mode, fn.spec.sloMs, fn.storedProfile?.execMsByBatch, fn.spec.hints, fn.spec.batchable);
    this.assignments.set(fn.index, { key, a });
    this.assignmentVersion++;
    return a;
  }
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameAssignments(a: Map<number, Assignment>, b: Map<number, Assignment>): boolean {
  if (a.size !== b.size) return false;
  for (const [f, x] of a) {
    const y = b.get(f);
    if (!y || y.mode !== x.mode || y.maxBatchSize !== x.maxBatchSize || y.maxQueueDelayMs !== x.maxQueueDelayMs) return false;
  }
  return true;
}
