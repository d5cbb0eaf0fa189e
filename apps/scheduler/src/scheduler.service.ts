import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Bucket, EventPublisher, FunctionRecord } from '@epara/contracts';
import { realClock, SchedulerLoop } from '@epara/core';
import { ClusterState, EVENT_PUBLISHER, FunctionRepository, KvMirror, NatsClient, PlacementRepository } from '@epara/nats';
import { SCHEDULER_CONFIG, SchedulerConfig } from './config';
import { LeaderLock } from './leader-lock';
import { BusSchedulerEvents, KvFunctionStore, KvPlacementStore } from './nats-scheduler-ports';

/**
 * The scheduler app's wiring: binds the core SchedulerLoop to NATS — function records and placement
 * in KV, heartbeats from the cluster state, events on `epara.v1.events.*` — and drives it from the
 * leader lock's refresh, the placement period and the KV watches.
 */
@Injectable()
export class SchedulerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SchedulerService.name);
  private functions?: KvMirror<FunctionRecord>;
  private cluster?: ClusterState;
  private lock?: LeaderLock;
  private loop?: SchedulerLoop;
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly nats: NatsClient,
    @Inject(SCHEDULER_CONFIG) private readonly config: SchedulerConfig,
    @Inject(EVENT_PUBLISHER) private readonly events: EventPublisher,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const functionsKv = await this.nats.kv(Bucket.Functions);
    const lock = (this.lock = new LeaderLock(await this.nats.kv(Bucket.Leader), this.config.id));
    const functions = (this.functions = await new KvMirror<FunctionRecord>(functionsKv).start());
    const cluster = (this.cluster = await new ClusterState(this.nats).start());
    const loop = (this.loop = new SchedulerLoop(
      {
        functions: new KvFunctionStore(new FunctionRepository(functionsKv), functions),
        placements: new KvPlacementStore(new PlacementRepository(await this.nats.kv(Bucket.Placement)), () => cluster.placement()),
        devices: cluster,
        events: new BusSchedulerEvents(this.events),
        leadership: lock,
        clock: realClock,
        log: this.logger,
      },
      { policy: this.config.policy, deviceLostMs: this.config.deviceLostMs, deviceRejoinMs: this.config.deviceRejoinMs },
    ));
    cluster.onHeartbeat((s) => loop.onHeartbeat(s));
    // A device found gone by its liveness probes has no heartbeat age any more: re-place its work now.
    cluster.onDeviceGone(() => lock.isLeader && loop.checkLostDevices());
    functions.onChange((c) => loop.onFunctionChanged(c.key, !c.value));
    await lock.tick();
    this.timers.push(setInterval(() => void lock.tick().then((leads) => leads && loop.checkLostDevices()), this.config.leaderRefreshMs));
    this.timers.push(setInterval(() => loop.trigger('period'), this.config.periodMs));
    loop.trigger('start');
  }

  async onApplicationShutdown(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await this.loop?.settled().catch(() => undefined);
    await this.lock?.release();
    this.functions?.stop();
    this.cluster?.stop();
  }
}
