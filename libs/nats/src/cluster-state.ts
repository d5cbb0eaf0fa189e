import { Logger } from '@nestjs/common';
import { Subscription } from '@nats-io/transport-node';
import { Bucket, DevicePlacement, DeviceState, EventKind, EventMessage, Mode, subjects, unitKey } from '@epara/contracts';
import { LIVENESS_PROBE_MS, LIVENESS_SILENCE_MS, LivenessVerdicts, ProbeOutcome, STALE_AFTER_MS } from '@epara/core';
import { Empty } from '@nats-io/transport-node';
import { natsFailure } from './nats-errors';
import { decodeJson } from './codec/json-codec';
import { KvMirror } from './kv-mirror';
import { NatsClient } from './nats-client';
import { ReadonlyKvRepository } from './repositories/readonly-repository';

/** One replica of a function as the cluster state sees it. */
export interface ReplicaView {
  device: string;
  mode: Mode;
  state?: DeviceState;
  /** Age of the device's last heartbeat, ms; Infinity when none was seen. */
  ageMs: number;
}

/** After this app's own reconnect, how long liveness probes wait for the workers to resubscribe, ms. */
const RESUBSCRIBE_GRACE_MS = 3000;
/** A probe tick this late (ms since the last) means this process itself stalled: its verdicts start again. */
const PROBER_STALL_MS = 300;
/** Probes of one device in flight at most (a silent device's pile up until their timeout). */
const MAX_PROBES_IN_FLIGHT = 8;

/**
 * What gateways and the scheduler know of the cluster: device heartbeats (the `epara.v1.state.*`
 * subject, seeded from KV `epara_devices`) and the placement (KV `epara_placement`). Reads are memory only.
 */
export class ClusterState {
  private readonly logger = new Logger(ClusterState.name);
  private readonly devices = new Map<string, DeviceState>();
  private readonly seenAt = new Map<string, number>();
  private placements!: KvMirror<DevicePlacement>;
  /** unit (fn, or fn#stage) → replicas, rebuilt when the placement changes. */
  private replicasByFn = new Map<string, { device: string; mode: Mode }[]>();
  private sub?: Subscription;
  private lostSub?: Subscription;
  private readonly heartbeatListeners: ((s: DeviceState) => void)[] = [];
  private readonly goneListeners: ((device: string, why: string) => void)[] = [];
  private readonly reconnectedListeners: ((device: string, disconnectedAt: number) => void)[] = [];
  private reconnectedSub?: Subscription;
  /** Probes in flight per device. */
  private readonly probing = new Map<string, number>();
  /** When the last probe tick ran, ms (this.now()). */
  private lastProbeAt = Number.POSITIVE_INFINITY;
  private probeTimer?: NodeJS.Timeout;
  private readonly liveness: LivenessVerdicts;
  private readonly placementListeners: (() => void)[] = [];

  constructor(
    private readonly nats: NatsClient,
    private readonly now: () => number = Date.now,
    /** How often each known device's liveness subject is probed, ms; 0: never (heartbeat age only). */
    private readonly probeMs = LIVENESS_PROBE_MS,
    /** How long a device may answer no probe before it is gone, ms. */
    private readonly silenceMs = LIVENESS_SILENCE_MS,
  ) {
    this.liveness = new LivenessVerdicts(silenceMs);
  }

  async start(): Promise<this> {
    this.sub = this.nats.nc.subscribe(subjects.stateAny, {
      callback: (err, msg) => {
        if (err) return;
        try {
          this.observe(decodeJson<DeviceState>(msg.data, `heartbeat on ${msg.subject}`));
        } catch {
          this.logger.warn(`ignoring malformed heartbeat on ${msg.subject}`);
        }
      },
    });
    // The scheduler declares devices lost; everyone stops routing there at once instead of waiting out staleness.
    this.lostSub = this.nats.nc.subscribe(subjects.event(EventKind.DeviceLost), {
      callback: (err, msg) => {
        if (err) return;
        try {
          const device = decodeJson<Partial<EventMessage<typeof EventKind.DeviceLost>>>(msg.data, `event on ${msg.subject}`).device;
          if (device && this.devices.has(device)) this.declareGone(device, 'the scheduler declared it lost');
        } catch {
          /* not an event we understand */
        }
      },
    });
    this.reconnectedSub = this.nats.nc.subscribe(subjects.event(EventKind.DeviceReconnected), {
      callback: (err, msg) => {
        if (err) return;
        try {
          const e = decodeJson<Partial<EventMessage<typeof EventKind.DeviceReconnected>>>(msg.data, `event on ${msg.subject}`);
          if (typeof e.device === 'string' && typeof e.disconnectedAt === 'number')
            for (const l of this.reconnectedListeners) l(e.device, e.disconnectedAt);
        } catch {
          /* not an event we understand */
        }
      },
    });
    // An unreadable entry is left out; it expires with the bucket TTL.
    const seeded = await new ReadonlyKvRepository<DeviceState>(await this.nats.kv(Bucket.Devices), Bucket.Devices).all();
    for (const s of seeded) {
      if (!this.devices.has(s.device)) {
        this.devices.set(s.device, s);
        this.seenAt.set(s.device, s.at);
      }
    }
    this.placements = await new KvMirror<DevicePlacement>(await this.nats.kv(Bucket.Placement)).start();
    this.rebuildReplicas();
    this.placements.onChange(() => {
      this.rebuildReplicas();
      for (const l of this.placementListeners) l();
    });
    if (this.probeMs > 0) this.probeTimer = setInterval(() => this.probeAll(), this.probeMs).unref();
    return this;
  }

  /** Told when a device is found gone — by its liveness probes, or a `device-lost` event — and forgotten until its next heartbeat. */
  onDeviceGone(listener: (device: string, why: string) => void): void {
    this.goneListeners.push(listener);
  }

  /** Told when a worker says its NATS connection came back (`device-reconnected`), with when it dropped. */
  onDeviceReconnected(listener: (device: string, disconnectedAt: number) => void): void {
    this.reconnectedListeners.push(listener);
  }

  /**
   * Probes every device heard from lately on its liveness subject, one probe per device each period
   * whether the last came back or not, and calls a device gone once it has answered none for the
   * silence period (LivenessVerdicts). Cheap (ten empty messages a second per device) and far faster
   * than heartbeat age: a SIGKILLed worker is noticed within two probe periods, a host cut off within
   * the silence period, and no request is routed to it after that.
   */
  private probeAll(): void {
    const now = this.now();
    const late = now - this.lastProbeAt > PROBER_STALL_MS;
    this.lastProbeAt = now;
    // An outage of our own says nothing of the devices, nor do the seconds after it, while the workers
    // resubscribe; nor does silence measured across a stall of this process, whose answers wait unread.
    if (late || this.nats.health.down() || this.nats.health.reconnectedWithin(RESUBSCRIBE_GRACE_MS)) {
      this.liveness.forgetAll();
      return;
    }
    for (const device of this.devices.keys()) {
      if (this.ageMs(device) > STALE_AFTER_MS) {
        this.liveness.forget(device);
        continue;
      }
      const why = this.liveness.check(device, now);
      if (why) {
        this.declareGone(device, why);
        continue;
      }
      if ((this.probing.get(device) ?? 0) >= MAX_PROBES_IN_FLIGHT) continue;
      this.probing.set(device, (this.probing.get(device) ?? 0) + 1);
      this.liveness.sent(device, now);
      this.nats.nc
        .request(subjects.live(device), Empty, { timeout: this.silenceMs })
        .then(
          () => ProbeOutcome.Answered,
          (e: unknown) => (natsFailure.isNoResponders(e) ? ProbeOutcome.NoResponders : ProbeOutcome.Missed),
        )
        .then((outcome) => {
          const left = (this.probing.get(device) ?? 1) - 1;
          if (left > 0) this.probing.set(device, left);
          else this.probing.delete(device);
          if (!this.devices.has(device)) return;
          const gone = this.liveness.observe(device, outcome);
          if (gone) this.declareGone(device, gone);
        });
    }
  }

  private declareGone(device: string, why: string): void {
    this.logger.warn(`device ${device} is gone: ${why}; no more requests are routed to it`);
    this.drop(device, why);
  }

  stop(): void {
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.sub?.unsubscribe();
    this.lostSub?.unsubscribe();
    this.reconnectedSub?.unsubscribe();
    this.placements?.stop();
  }

  /** Records a heartbeat (also called by tests and by a worker for itself). */
  observe(s: DeviceState): void {
    this.devices.set(s.device, s);
    this.seenAt.set(s.device, this.now());
    for (const l of this.heartbeatListeners) l(s);
  }

  onHeartbeat(listener: (s: DeviceState) => void): void {
    this.heartbeatListeners.push(listener);
  }

  onPlacement(listener: () => void): void {
    this.placementListeners.push(listener);
  }

  /** Forgets a device that is gone, and tells the listeners (their requests waiting on it can go elsewhere). */
  private drop(device: string, why: string): void {
    const known = this.devices.has(device);
    this.forget(device);
    if (known) for (const l of this.goneListeners) l(device, why);
  }

  forget(device: string): void {
    this.devices.delete(device);
    this.seenAt.delete(device);
    this.liveness.forget(device);
  }

  private rebuildReplicas(): void {
    const next = new Map<string, { device: string; mode: Mode }[]>();
    for (const p of this.placements.all()) {
      for (const a of p.assignments) {
        const key = unitKey(a.fn, a.stage);
        let list = next.get(key);
        if (!list) next.set(key, (list = []));
        list.push({ device: p.device, mode: a.mode });
      }
    }
    this.replicasByFn = next;
  }

  /** Age of a device's last heartbeat as seen here, ms. */
  ageMs(device: string): number {
    const t = this.seenAt.get(device);
    return t === undefined ? Infinity : this.now() - t;
  }

  device(id: string): DeviceState | undefined {
    return this.devices.get(id);
  }

  /** Devices heard from within `maxAgeMs`. */
  liveDevices(maxAgeMs: number): DeviceState[] {
    return [...this.devices.values()].filter((d) => this.ageMs(d.device) <= maxAgeMs);
  }

  allDevices(): DeviceState[] {
    return [...this.devices.values()];
  }

  placement(): DevicePlacement[] {
    return this.placements.all().sort((a, b) => a.device.localeCompare(b.device));
  }

  placementOf(device: string): DevicePlacement | undefined {
    return this.placements.get(device);
  }

  /** Replicas of a function, or of one of its pipeline stages. */
  replicas(fn: string, stage?: number): ReplicaView[] {
    const list = this.replicasByFn.get(unitKey(fn, stage));
    if (!list) return [];
    return list.map((r) => ({ ...r, state: this.devices.get(r.device), ageMs: this.ageMs(r.device) }));
  }
}
