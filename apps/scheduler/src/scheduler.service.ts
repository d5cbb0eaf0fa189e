import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { KV } from 'nats';
import {
  Assignment,
  Bucket,
  DevicePlacement,
  DeviceState,
  EventKind,
  FunctionRecord,
  Mode,
  Profile,
  subjects,
  unitKey,
} from '@epara/contracts';
import { ClusterState, KvMirror, NatsClient } from '@epara/nats';
import { assignmentFor, categorize, HEADROOM, MODEL_MEMORY_FACTOR, MOVE_COST_WEIGHT, place, PlacementDecision, PlacementFunction, simplePlacement, toCategorization, toPlacementFunction } from '@epara/policy';
import { kindHandler } from '@epara/runtime';
import { SCHEDULER_CONFIG, SchedulerConfig } from './config';
import { LeaderLock } from './leader-lock';
import { RateTracker } from './rate-tracker';


/**
 * The state-aware scheduler (the coarse time scale): tracks devices and function load, re-categorizes
 * functions when their profile arrives or their load drifts, recomputes placement every period and on
 * events, and writes it to `epara_placement` (one key per device). Only the lock holder acts.
 */
@Injectable()
export class SchedulerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SchedulerService.name);
  private functions!: KvMirror<FunctionRecord>;
  private functionsKv!: KV;
  private placementKv!: KV;
  private cluster!: ClusterState;
  private lock!: LeaderLock;
  private timers: NodeJS.Timeout[] = [];
  private running: Promise<void> = Promise.resolve();
  private pending = false;
  private readonly rates = new RateTracker();
  private knownDevices = new Set<string>();
  lastDecision?: { at: number; reason: string; changes: number };

  constructor(
    private readonly nats: NatsClient,
    @Inject(SCHEDULER_CONFIG) private readonly config: SchedulerConfig,
  ) {}

  get isLeader(): boolean {
    return this.lock?.isLeader ?? false;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.functionsKv = await this.nats.kv(Bucket.Functions);
    this.placementKv = await this.nats.kv(Bucket.Placement);
    this.lock = new LeaderLock(await this.nats.kv(Bucket.Leader), this.config.id);
    this.functions = await new KvMirror<FunctionRecord>(this.functionsKv).start();
    this.cluster = await new ClusterState(this.nats).start();
    this.cluster.onHeartbeat((s) => {
      this.rates.observe(s, Date.now());
      if (!this.knownDevices.has(s.device)) {
        this.knownDevices.add(s.device);
        this.trigger(`device ${s.device} joined`);
      }
    });
    this.functions.onChange((c) => this.trigger(c.value ? `function ${c.key} changed` : `function ${c.key} deleted`));
    await this.lock.tick();
    this.timers.push(setInterval(() => void this.lock.tick().then((leads) => leads && this.checkLostDevices()), this.config.leaderRefreshMs));
    this.timers.push(setInterval(() => this.trigger('period'), this.config.periodMs));
    this.trigger('start');
  }

  async onApplicationShutdown(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await this.running.catch(() => undefined);
    await this.lock?.release();
    this.functions?.stop();
    this.cluster?.stop();
  }

  private checkLostDevices(): void {
    for (const id of [...this.knownDevices]) {
      if (this.cluster.ageMs(id) > this.config.deviceLostMs) {
        this.knownDevices.delete(id);
        this.cluster.forget(id);
        this.nats.nc.publish(subjects.event(EventKind.DeviceLost), Buffer.from(JSON.stringify({ kind: EventKind.DeviceLost, at: Date.now(), device: id })));
        this.logger.warn(`device ${id} lost (no heartbeat for ${this.config.deviceLostMs} ms); re-placing its work`);
        this.trigger(`device ${id} lost`);
      }
    }
  }

  /** Runs one placement round soon; rounds never overlap, and triggers during a round fold into one more. */
  trigger(why: string): void {
    if (this.pending) return;
    this.pending = true;
    this.running = this.running
      .then(async () => {
        this.pending = false;
        if (this.lock.isLeader) await this.round(why);
      })
      .catch((e) => this.logger.error(`placement round failed: ${(e as Error).stack}`));
  }

  /** Waits for the rounds in flight (tests). */
  settled(): Promise<void> {
    return this.running;
  }

  private liveDevices(): DeviceState[] {
    return this.cluster.liveDevices(this.config.deviceLostMs).filter((d) => !d.draining);
  }

  private async round(why: string): Promise<void> {
    const devices = this.liveDevices();
    if (devices.length === 0) return; // nothing to place on yet; a device joining triggers a round
    if (this.config.policy.categorize) await this.recategorize(devices);
    const decision = this.decide(devices);
    const changes = await this.write(decision, devices, why);
    this.lastDecision = { at: Date.now(), reason: decision.reason, changes };
  }

  /** Requests/s reaching the function's replicas; a pipeline's rate is its first stage's (every request passes it once). */
  private observedRps(r: FunctionRecord): number {
    return this.rates.rps(r.category.mode === Mode.Pp && r.model.stages?.length ? unitKey(r.name, 0) : r.name, Date.now());
  }

  private profileOf(r: FunctionRecord): Profile | undefined {
    return Object.values(r.profiles)[0];
  }

  /** Re-categorizes with the profile and the observed rate; hysteresis lives in the policy. */
  private async recategorize(devices: DeviceState[]): Promise<void> {
    for (const r of this.functions.all()) {
      const profile = this.profileOf(r);
      const observedRps = this.observedRps(r);
      const d = categorize({
        slo: r.slo,
        expectedRps: r.expected?.rps,
        observedRps: observedRps > 0 ? observedRps : undefined,
        profile,
        modelSizeBytes: r.model.sizeBytes,
        devices: devices.map((x) => ({ memoryBytes: x.memoryBytes, memoryFreeBytes: x.memoryBytes })),
        hints: r.hints,
        kindCanSplit: kindHandler(r.kind).canSplit,
        previous: r.category.provisional ? undefined : { sensitivity: r.category.sensitivity, footprint: r.category.footprint, heldForMs: Date.now() - r.category.decidedAt },
      });
      const c = r.category;
      if (d.mode === c.mode && d.sensitivity === c.sensitivity && d.footprint === c.footprint && d.provisional === c.provisional) continue;
      const e = await this.functionsKv.get(r.name);
      if (!e || e.operation !== 'PUT') continue;
      const fresh = JSON.parse(Buffer.from(e.value).toString('utf8')) as FunctionRecord;
      fresh.category = toCategorization(d, Date.now());
      fresh.observed = observedRps > 0 ? { rps: observedRps, at: Date.now() } : fresh.observed;
      fresh.updatedAt = Date.now();
      try {
        await this.functionsKv.update(r.name, Buffer.from(JSON.stringify(fresh)), e.revision);
        this.functions.remember(r.name, fresh);
        this.nats.nc.publish(subjects.event(EventKind.Recategorized), Buffer.from(JSON.stringify({ kind: EventKind.Recategorized, at: Date.now(), function: r.name, from: c, to: fresh.category })));
        this.logger.log(`recategorized ${r.name}: ${c.sensitivity}×${c.footprint}→${c.mode} ⇒ ${d.sensitivity}×${d.footprint}→${d.mode}: ${d.reason}`);
      } catch {
        /* the record changed meanwhile; the next round sees the new one */
      }
    }
  }

  private decide(devices: DeviceState[]): PlacementDecision {
    const current: Record<string, string[]> = {};
    for (const p of this.cluster.placement()) current[p.device] = p.assignments.map((a) => unitKey(a.fn, a.stage));
    const functions: PlacementFunction[] = [];
    for (const r of this.functions.all()) {
      // pp needs stage models; sp runs whole models on several devices, one tile each.
      if (r.category.mode === Mode.Pp && !r.model.stages?.length) continue;
      const profile = this.profileOf(r);
      const observed = this.observedRps(r);
      const whole = toPlacementFunction(
        { name: r.name, mode: r.category.mode, sloMs: r.slo.latencyMs, profile, modelSizeBytes: r.model.sizeBytes, hints: r.hints, expectedRps: r.expected?.rps },
        observed,
        this.config.policy.placement,
        devices.length,
      );
      if (r.category.mode === Mode.Pp) {
        // Each stage is a unit of its own; a stage takes about its share of the whole model's time.
        const k = r.model.stages!.length;
        for (const st of r.model.stages!) {
          functions.push({ ...whole, name: unitKey(r.name, st.index), memoryBytes: MODEL_MEMORY_FACTOR * st.sizeBytes, execMsBatch1: whole.execMsBatch1 / k, bestThroughputPerMs: whole.bestThroughputPerMs * k });
        }
        continue;
      }
      functions.push(whole);
    }
    const placementDevices = devices.map((d) => ({ id: d.device, memoryBytes: d.memoryBytes, computeScale: 1, lost: false }));
    if (this.config.policy.placement === 'everywhere') return simplePlacement(functions, placementDevices, current);
    return place({
      functions,
      devices: placementDevices,
      current,
      params: { moveCostWeight: MOVE_COST_WEIGHT, maxReplicasPerFunction: devices.length, headroom: HEADROOM },
    });
  }

  private assignment(r: FunctionRecord, stage?: number): Assignment {
    const mode = r.category.mode;
    const limits = assignmentFor(mode, r.slo.latencyMs, this.profileOf(r)?.execMsByBatch, r.hints, stage === undefined ? r.model.batchable : r.model.stages![stage].batchable);
    const sha256 = stage === undefined ? r.model.sha256 : r.model.stages![stage].sha256;
    // The record shows what workers will do: baselines without batching run one request at a time.
    const alone = this.config.policy.batching === 'off';
    return { fn: r.name, ...(stage === undefined ? {} : { stage }), mode, sha256, maxBatchSize: alone ? 1 : limits.maxBatchSize, maxQueueDelayMs: alone ? 0 : limits.maxQueueDelayMs };
  }

  /** Writes only the device keys whose assignments changed; removes keys of devices that are gone. */
  private async write(decision: PlacementDecision, devices: DeviceState[], why: string): Promise<number> {
    let changed = 0;
    const live = new Set(devices.map((d) => d.device));
    for (const d of devices) {
      const assignments = (decision.byDevice[d.device] ?? [])
        .map((unit) => {
          const [fn, stage] = unit.split('#');
          const r = this.functions.get(fn);
          return r && this.assignment(r, stage === undefined ? undefined : Number(stage));
        })
        .filter((a): a is Assignment => !!a)
        .sort((a, b) => a.fn.localeCompare(b.fn) || (a.stage ?? 0) - (b.stage ?? 0));
      const prev = this.cluster.placementOf(d.device);
      if (prev && JSON.stringify(prev.assignments) === JSON.stringify(assignments)) continue;
      const value: DevicePlacement = { device: d.device, assignments, reason: `${why}: ${decision.reason}`, at: Date.now() };
      await this.placementKv.put(d.device, Buffer.from(JSON.stringify(value)));
      changed++;
      this.nats.nc.publish(subjects.event(EventKind.Placed), Buffer.from(JSON.stringify({ kind: EventKind.Placed, ...value })));
      this.logger.log(`placed on ${d.device}: [${assignments.map((a) => `${a.fn}/${a.mode}`).join(', ')}] (${why})`);
    }
    for (const p of this.cluster.placement()) {
      if (!live.has(p.device)) {
        await this.placementKv.delete(p.device);
        changed++;
      }
    }
    return changed;
  }
}
