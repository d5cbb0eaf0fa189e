import { Assignment, Categorization, DevicePlacement, FunctionRecord, kindCapabilities, Mode, Profile, unitKey } from '@epara/contracts';
import {
  assignmentFor,
  categorize,
  HEADROOM,
  MODEL_MEMORY_FACTOR,
  MOVE_COST_WEIGHT,
  place,
  PlacementDecision,
  PlacementDevice,
  PlacementFunction,
  ServingPolicy,
  simplePlacement,
  toCategorization,
  toPlacementFunction,
} from '@epara/policy';
import type { RateTracker } from './rate-tracker';

/** A device placement may use, as the round sees it. */
export interface RoundDevice {
  id: string;
  memoryBytes: number;
  /** Speed relative to the reference device (1 live: heartbeats carry no speed yet; the simulator knows it). */
  computeScale: number;
}

/** Everything one round decides from: a snapshot, read by the caller from KV and heartbeats (or from the simulation). */
export interface RoundInput {
  functions: readonly FunctionRecord[];
  /** Live devices that take work (not draining). */
  devices: readonly RoundDevice[];
  /** What `epara_placement` holds now, one entry per device key. */
  placements: readonly DevicePlacement[];
  /**
   * Devices lost lately whose keys are kept for their return (not live, so nothing new goes there): a
   * kept key is left as it is while every assignment in it is still what this round would write, and
   * removed once one is not (a function deleted or changed while the device was away).
   */
  away?: readonly string[];
  /** Why the round runs (a trigger's text), carried into each written key's reason. */
  why: string;
  nowMs: number;
}

/** A function whose category the round changed: `record` is the record as it should be written. */
export interface Recategorization {
  record: FunctionRecord;
  from: Categorization;
}

/** What the caller writes: records first (compare-and-set), then changed device keys, then removals. */
export interface RoundPlan {
  recategorized: Recategorization[];
  /** Device keys whose assignments changed. */
  puts: DevicePlacement[];
  /** Device keys of devices that are gone (and not kept for their return). */
  deletes: string[];
  /** The placement's own reason. */
  reason: string;
}

/** The placement policy knobs the round reads. */
export type RoundPolicy = Pick<ServingPolicy, 'categorize' | 'placement' | 'batching'>;

/**
 * The state-aware scheduler's round, the coarse time scale: re-categorize every function with its
 * profile and observed rate (hysteresis and dwell live in the policy), place the units (`place`, or
 * `simplePlacement` for the baselines that put everything everywhere), expand pipeline stages into
 * units of their own, and say which device keys change. It reads a snapshot and returns a plan; the
 * scheduler app writes the plan to KV, the simulator applies it in virtual time — the same decisions.
 */
export class SchedulerRound {
  /** simplePlacement depends only on unit names and memory and on the devices: reused while those hold. */
  private everywhere?: { key: string; decision: PlacementDecision };
  /** Each unit's assignment as the last round computed it. */
  private lastAssignments = new Map<string, Assignment>();
  /**
   * Per device: the unit list the last round placed there and the key it wrote (or found equal). When
   * the store still holds that key, the list is the same array (a reused decision) and no assignment
   * changed, the key would come out the same: the simulator's 100 devices × 200 units skip rebuilding it.
   */
  private readonly lastWritten = new Map<string, { names: readonly string[]; placement: DevicePlacement }>();

  constructor(
    private readonly policy: RoundPolicy,
    private readonly rates: RateTracker,
  ) {}

  run(input: RoundInput): RoundPlan {
    const recategorized = this.policy.categorize ? this.recategorize(input) : [];
    let functions = input.functions;
    if (recategorized.length) {
      const changed = new Map(recategorized.map((c) => [c.record.name, c.record]));
      functions = functions.map((r) => changed.get(r.name) ?? r);
    }
    const live = new Set(input.devices.map((d) => d.id));
    const decision = this.decide(functions, input, live);
    const { puts, deletes } = this.writes(decision, functions, input, live);
    return { recategorized, puts, deletes, reason: decision.reason };
  }

  /** Requests/s reaching the function's replicas; a pipeline's rate is its first stage's (every request passes it once). */
  observedRps(r: FunctionRecord, nowMs: number): number {
    return this.rates.rps(r.category.mode === Mode.Pp && r.model.stages?.length ? unitKey(r.name, 0) : r.name, nowMs);
  }

  private recategorize(input: RoundInput): Recategorization[] {
    const { nowMs } = input;
    const devices = input.devices.map((x) => ({ memoryBytes: x.memoryBytes, memoryFreeBytes: x.memoryBytes }));
    const out: Recategorization[] = [];
    for (const r of input.functions) {
      const observedRps = this.observedRps(r, nowMs);
      const c = r.category;
      const d = categorize({
        slo: r.slo,
        expectedRps: r.expected?.rps,
        observedRps: observedRps > 0 ? observedRps : undefined,
        profile: profileOf(r),
        modelSizeBytes: r.model.sizeBytes,
        devices,
        hints: r.hints,
        kindCanSplit: kindCapabilities(r.kind).canSplit,
        hasStages: !!r.model.stages?.length,
        previous: c.provisional ? undefined : { sensitivity: c.sensitivity, footprint: c.footprint, heldForMs: nowMs - c.decidedAt },
      });
      if (d.mode === c.mode && d.sensitivity === c.sensitivity && d.footprint === c.footprint && d.provisional === c.provisional) continue;
      const record: FunctionRecord = {
        ...r,
        category: toCategorization(d, nowMs),
        observed: observedRps > 0 ? { rps: observedRps, at: nowMs } : r.observed,
        updatedAt: nowMs,
      };
      out.push({ record, from: c });
    }
    return out;
  }

  private decide(records: readonly FunctionRecord[], input: RoundInput, live: ReadonlySet<string>): PlacementDecision {
    // What live devices hold: a key kept for a device that is away holds nothing anyone can reach.
    const current: Record<string, string[]> = {};
    for (const p of input.placements) if (live.has(p.device)) current[p.device] = p.assignments.map((a) => unitKey(a.fn, a.stage));
    const deviceCount = input.devices.length;
    const functions: PlacementFunction[] = [];
    for (const r of records) {
      // pp needs stage models; sp runs whole models on several devices, one tile each.
      if (r.category.mode === Mode.Pp && !r.model.stages?.length) continue;
      const profile = profileOf(r);
      const whole = toPlacementFunction(
        {
          name: r.name,
          mode: r.category.mode,
          sloMs: r.slo.latencyMs,
          profile,
          modelSizeBytes: r.model.sizeBytes,
          hints: r.hints,
          expectedRps: r.expected?.rps,
        },
        this.observedRps(r, input.nowMs),
        this.policy.placement,
        deviceCount,
      );
      if (r.category.mode === Mode.Pp) {
        // Each stage is a unit of its own; a stage takes about its share of the whole model's time.
        const k = r.model.stages!.length;
        for (const st of r.model.stages!) {
          functions.push({
            ...whole,
            name: unitKey(r.name, st.index),
            memoryBytes: MODEL_MEMORY_FACTOR * st.sizeBytes,
            execMsBatch1: whole.execMsBatch1 / k,
            bestThroughputPerMs: whole.bestThroughputPerMs * k,
          });
        }
        continue;
      }
      functions.push(whole);
    }
    const devices: PlacementDevice[] = input.devices.map((d) => ({
      id: d.id,
      memoryBytes: d.memoryBytes,
      computeScale: d.computeScale,
      lost: false,
    }));
    if (this.policy.placement === 'everywhere') {
      const key = `${functions.map((f) => `${f.name}:${f.memoryBytes}`).join(',')}|${devices.map((d) => `${d.id}:${d.memoryBytes}:${d.computeScale}`).join(',')}`;
      if (this.everywhere?.key !== key) this.everywhere = { key, decision: simplePlacement(functions, devices, current) };
      return this.everywhere.decision;
    }
    return place({
      functions,
      devices,
      current,
      params: { moveCostWeight: MOVE_COST_WEIGHT, maxReplicasPerFunction: deviceCount, headroom: HEADROOM },
    });
  }

  /** The assignment of one unit: its mode and batch limits; baselines without batching run one request at a time. */
  private assignment(r: FunctionRecord, stage: number | undefined): Assignment {
    const mode = r.category.mode;
    const batchable = stage === undefined ? r.model.batchable : r.model.stages![stage].batchable;
    const limits = assignmentFor(mode, r.slo.latencyMs, profileOf(r)?.execMsByBatch, r.hints, batchable, r.category.sensitivity);
    const sha256 = stage === undefined ? r.model.sha256 : r.model.stages![stage].sha256;
    const alone = this.policy.batching === 'off';
    return {
      fn: r.name,
      ...(stage === undefined ? {} : { stage }),
      mode,
      sha256,
      maxBatchSize: alone ? 1 : limits.maxBatchSize,
      maxQueueDelayMs: alone ? 0 : limits.maxQueueDelayMs,
    };
  }

  /** Only the device keys whose assignments changed are written; keys of devices that are gone are removed, unless kept (`away`). */
  private writes(
    decision: PlacementDecision,
    records: readonly FunctionRecord[],
    input: RoundInput,
    live: ReadonlySet<string>,
  ): { puts: DevicePlacement[]; deletes: string[] } {
    // One assignment per unit per round: every device that holds the unit gets the same object.
    const assignments = new Map<string, Assignment>();
    let assignmentsChanged = this.lastAssignments.size === 0;
    for (const r of records) {
      const stages = r.category.mode === Mode.Pp ? r.model.stages : undefined;
      for (const stage of stages ? stages.map((st) => st.index) : [undefined]) {
        const unit = unitKey(r.name, stage);
        const a = this.assignment(r, stage);
        const last = this.lastAssignments.get(unit);
        assignments.set(unit, last && sameAssignment(last, a) ? last : a);
        if (!last || !sameAssignment(last, a)) assignmentsChanged = true;
      }
    }
    if (assignments.size !== this.lastAssignments.size) assignmentsChanged = true;
    this.lastAssignments = assignments;
    const written = new Map(input.placements.map((p) => [p.device, p]));
    const puts: DevicePlacement[] = [];
    for (const d of input.devices) {
      const names = decision.byDevice[d.id] ?? [];
      const prev = written.get(d.id);
      // The same unit list as the key this round wrote last time, and no unit's assignment changed: the same key.
      const last = this.lastWritten.get(d.id);
      if (!assignmentsChanged && prev && last && last.names === names && last.placement === prev) continue;
      const next = names
        .map((unit) => assignments.get(unit))
        .filter((a): a is Assignment => !!a)
        .sort(byUnit);
      if (prev && sameAssignments(prev.assignments, next)) {
        this.lastWritten.set(d.id, { names, placement: prev });
        continue;
      }
      const p = { device: d.id, assignments: next, reason: `${input.why}: ${decision.reason}`, at: input.nowMs };
      puts.push(p);
      this.lastWritten.set(d.id, { names, placement: p });
    }
    const away = new Set(input.away ?? []);
    const stillCurrent = (a: Assignment) => {
      const now = assignments.get(unitKey(a.fn, a.stage));
      return now !== undefined && sameAssignment(now, a);
    };
    const kept = (p: DevicePlacement) => away.has(p.device) && p.assignments.every(stillCurrent);
    const deletes = input.placements.filter((p) => !live.has(p.device) && !kept(p)).map((p) => p.device);
    return { puts, deletes };
  }
}

/** Assignments in a device key: by function name (code-point order), then stage. */
function byUnit(a: Assignment, b: Assignment): number {
  if (a.fn !== b.fn) return a.fn < b.fn ? -1 : 1;
  return (a.stage ?? 0) - (b.stage ?? 0);
}

/** The profile placement reads: the first device class's (devices of one class share it). */
export function profileOf(r: Pick<FunctionRecord, 'profiles'>): Profile | undefined {
  for (const k in r.profiles) return r.profiles[k];
  return undefined;
}

/** Whether two assignments say the same thing, field by field. */
function sameAssignment(x: Assignment, y: Assignment): boolean {
  return (
    x.fn === y.fn &&
    x.stage === y.stage &&
    x.mode === y.mode &&
    x.sha256 === y.sha256 &&
    x.maxBatchSize === y.maxBatchSize &&
    x.maxQueueDelayMs === y.maxQueueDelayMs
  );
}

/** Whether two assignment lists say the same thing, field by field and in order. */
export function sameAssignments(a: readonly Assignment[], b: readonly Assignment[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameAssignment(a[i], b[i])) return false;
  return true;
}
