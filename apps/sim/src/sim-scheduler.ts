import type { DevicePlacement } from '@epara/contracts';
import { RateTracker } from '@epara/core/scheduler/rate-tracker';
import { type RoundDevice, SchedulerRound } from '@epara/core/scheduler/scheduler-round';
import type { AssignmentLimits, ServingPolicy } from '@epara/policy';
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

/** `sensitivity×footprint→mode`, as the simulator's report lists re-categorizations. */
function categoryText(c: SimFunction['category']): string {
  return `${c.sensitivity}×${c.footprint}→${c.mode}`;
}

/**
 * The scheduler in virtual time: the live SchedulerRound over the simulated records, heartbeats and
 * placement, its plan applied at once (records, then device keys: each worker whose key changed
 * reconciles, and the gateway's replica lists follow). What is modelled here is only what the app
 * does with I/O: a round takes virtual time, and triggers during a round fold into one more after it.
 */
export class SimScheduler {
  readonly rates = new RateTracker();
  private readonly decider: SchedulerRound;
  private pending = false;
  /** The placement KV: device id → its key. */
  private readonly placements = new Map<string, DevicePlacement>();
  private readonly devices: RoundDevice[];
  private readonly fnIndex = new Map<string, number>();
  private readonly workerIndex = new Map<string, number>();
  rounds = 0;
  placementMs = 0;
  lastReason = '';
  /** Virtual time until which the round in progress runs: triggers meanwhile fold into one round after it. */
  private busyUntilMs = -Infinity;

  constructor(
    private readonly policy: ServingPolicy,
    private readonly fns: readonly SimFunction[],
    private readonly workers: readonly SimWorker[],
    private readonly gateway: SimGateway,
    private readonly host: SchedulerHost,
  ) {
    this.decider = new SchedulerRound(policy, this.rates);
    // The live scheduler passes computeScale 1 for every device (heartbeats carry no speed yet); the simulator knows the real one.
    this.devices = workers.map((w) => ({ id: w.id, memoryBytes: w.spec.memoryBytes, computeScale: w.spec.computeScale }));
    fns.forEach((f) => this.fnIndex.set(f.name, f.index));
    workers.forEach((w) => this.workerIndex.set(w.id, w.index));
  }

  /** Whether rounds read observed rates (else heartbeats need not feed the tracker). */
  get usesRates(): boolean {
    return this.policy.categorize || this.policy.placement !== 'everywhere';
  }

  /** One round soon; triggers while one is pending fold into it. */
  trigger(): void {
    if (this.pending) return;
    this.pending = true;
    this.host.scheduleRound(Math.max(this.host.nowMs(), this.busyUntilMs));
  }

  round(): void {
    this.pending = false;
    const now = this.host.nowMs();
    const t0 = performance.now();
    const plan = this.decider.run({
      functions: this.fns.map((f) => f.record),
      devices: this.devices,
      placements: [...this.placements.values()],
      why: 'round',
      nowMs: now,
    });
    for (const c of plan.recategorized) {
      const f = this.fns[this.fnIndex.get(c.record.name)!];
      f.record = c.record;
      const from = categoryText(c.from);
      const to = categoryText(c.record.category);
      if (to !== from) this.host.onRecategorized(f, from, to);
    }
    for (const p of plan.puts) {
      this.placements.set(p.device, p);
      this.workers[this.workerIndex.get(p.device)!].reconcile(this.limitsOf(p));
    }
    for (const d of plan.deletes) this.placements.delete(d);
    if (plan.puts.length || plan.recategorized.length) this.publishReplicas();
    this.rounds++;
    this.placementMs += performance.now() - t0;
    this.lastReason = plan.reason;
    // A round takes time in the app (KV reads and writes): model it, so triggers during it fold.
    this.busyUntilMs = now + ROUND_BASE_MS + ROUND_WRITE_MS * (plan.puts.length + plan.recategorized.length);
    // The record changed in KV: the scheduler's own watch triggers one more round.
    if (plan.recategorized.length > 0) this.trigger();
  }

  /** The device's key in the simulated placement KV. */
  placementOf(device: string): DevicePlacement | undefined {
    return this.placements.get(device);
  }

  /** A device key as the simulated worker takes it: function index → its limits. */
  private limitsOf(p: DevicePlacement): Map<number, AssignmentLimits> {
    return new Map(
      p.assignments.map((a) => [
        this.fnIndex.get(a.fn)!,
        { mode: a.mode, maxBatchSize: a.maxBatchSize, maxQueueDelayMs: a.maxQueueDelayMs },
      ]),
    );
  }

  /** The gateway routes by the placement KV: each function's replicas in device order, and its dispatch mode. */
  private publishReplicas(): void {
    const replicas: number[][] = this.fns.map(() => []);
    for (const w of this.workers)
      for (const a of this.placements.get(w.id)?.assignments ?? []) replicas[this.fnIndex.get(a.fn)!].push(w.index);
    this.gateway.setPlacement(
      replicas,
      this.fns.map((f) => (f.category.mode === 'batch' ? 'batch' : 'dp')),
    );
  }
}
