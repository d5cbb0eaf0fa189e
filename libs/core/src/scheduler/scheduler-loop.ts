import type { DevicePlacement, DeviceState } from '@epara/contracts';
import { RateTracker } from './rate-tracker';
import { SchedulerRound } from './scheduler-round';
import type { SchedulerLoopConfig, SchedulerPorts } from './types';

/** The outcome of the last round, for health and tests. */
export interface LastDecision {
  at: number;
  reason: string;
  changes: number;
}

/**
 * The scheduler's control loop in the live system: heartbeats feed the rate tracker and announce new
 * devices, silent devices are declared lost, and triggers (period, deploy, delete, join, loss) run
 * SchedulerRound and write its plan through the ports. Rounds never overlap; triggers during a round
 * fold into one more. Only the lock holder acts. The simulator runs the same SchedulerRound in virtual time.
 */
export class SchedulerLoop {
  readonly rates = new RateTracker();
  private readonly decider: SchedulerRound;
  private readonly knownDevices = new Set<string>();
  /** Devices lost, and when (clock ms): their placement keys are kept for their return (deviceRejoinMs). */
  private readonly lostAt = new Map<string, number>();
  private running: Promise<void> = Promise.resolve();
  private pending = false;
  lastDecision?: LastDecision;

  constructor(
    private readonly ports: SchedulerPorts,
    private readonly config: SchedulerLoopConfig,
  ) {
    this.decider = new SchedulerRound(config.policy, this.rates);
  }

  /** A heartbeat: its counters feed the rates; a device never seen before triggers a round. */
  onHeartbeat(state: DeviceState): void {
    this.rates.observeHeartbeat(state, this.ports.clock.nowMs());
    if (!this.knownDevices.has(state.device)) {
      this.knownDevices.add(state.device);
      const back = this.lostAt.delete(state.device);
      this.trigger(back ? `device ${state.device} came back` : `device ${state.device} joined`);
    }
  }

  onFunctionChanged(name: string, deleted: boolean): void {
    this.trigger(deleted ? `function ${name} deleted` : `function ${name} changed`);
  }

  /** Declares lost every known device silent for longer than `deviceLostMs`, and re-places its work. */
  checkLostDevices(): void {
    for (const id of [...this.knownDevices]) {
      if (this.ports.devices.ageMs(id) <= this.config.deviceLostMs) continue;
      this.knownDevices.delete(id);
      this.ports.devices.forget(id);
      this.ports.events.deviceLost(id);
      this.lostAt.set(id, this.ports.clock.nowMs());
      const keep = this.config.deviceRejoinMs ?? 0;
      this.ports.log.warn(
        `device ${id} lost (no heartbeat for ${this.config.deviceLostMs} ms); re-placing its work` +
          (keep > 0 ? `; its assignments wait ${Math.round(keep / 1000)} s for its return` : ''),
      );
      this.trigger(`device ${id} lost`);
    }
  }

  /** Runs one placement round soon; rounds never overlap, and triggers during a round fold into one more. */
  trigger(why: string): void {
    if (this.pending) return;
    this.pending = true;
    this.running = this.running
      .then(async () => {
        this.pending = false;
        if (this.ports.leadership.isLeader) await this.round(why);
      })
      .catch((e) => this.ports.log.error(`placement round failed: ${(e as Error).stack}`));
  }

  /** Waits for the rounds in flight (tests, shutdown). */
  settled(): Promise<void> {
    return this.running;
  }

  /**
   * Devices whose keys wait for their return: lost within deviceRejoinMs. A key of a device neither live
   * nor known lost (the previous leader lost it) starts its wait now.
   */
  private away(stored: readonly DevicePlacement[], live: ReadonlySet<string>, nowMs: number): string[] {
    const keep = this.config.deviceRejoinMs ?? 0;
    if (keep <= 0) return [];
    for (const p of stored) if (!live.has(p.device) && !this.lostAt.has(p.device)) this.lostAt.set(p.device, nowMs);
    const out: string[] = [];
    for (const [device, at] of this.lostAt) {
      if (nowMs - at < keep) out.push(device);
      else this.lostAt.delete(device);
    }
    return out;
  }

  private async round(why: string): Promise<void> {
    const { functions, placements, devices, events, clock, log } = this.ports;
    const live = devices.liveDevices(this.config.deviceLostMs).filter((d) => !d.draining);
    if (live.length === 0) return; // nothing to place on yet; a device joining triggers a round
    const plan = this.decider.run({
      functions: functions.all(),
      // Heartbeats carry no speed yet: every device counts as the reference one.
      devices: live.map((d) => ({ id: d.device, memoryBytes: d.memoryBytes, computeScale: 1 })),
      placements: placements.all(),
      away: this.away(placements.all(), new Set(live.map((d) => d.device)), clock.nowMs()),
      why,
      nowMs: clock.nowMs(),
    });
    for (const change of plan.recategorized) {
      const stored = await functions.recategorize(change);
      if (!stored) continue; // the record changed meanwhile; the next round sees the new one
      const c = change.from;
      const d = stored.category;
      events.recategorized(stored.name, c, d);
      log.log(
        `recategorized ${stored.name}: ${c.sensitivity}×${c.footprint}→${c.mode} ⇒ ${d.sensitivity}×${d.footprint}→${d.mode}: ${d.reason}`,
      );
    }
    for (const p of plan.puts) {
      await placements.put(p);
      events.placed(p);
      log.log(`placed on ${p.device}: [${p.assignments.map((a) => `${a.fn}/${a.mode}`).join(', ')}] (${why})`);
    }
    for (const device of plan.deletes) await placements.remove(device);
    this.lastDecision = { at: clock.nowMs(), reason: plan.reason, changes: plan.puts.length + plan.deletes.length };
  }
}
