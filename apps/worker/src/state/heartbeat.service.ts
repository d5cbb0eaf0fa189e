import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { KV } from '@nats-io/kv';
import { Bucket, DeviceState, EventKind, EventPublisher, subjects } from '@epara/contracts';
import { MeshSettling } from '@epara/core';
import { encodeJson, EVENT_PUBLISHER, NatsClient } from '@epara/nats';
import { WORKER_CONFIG, WorkerConfig } from '../config';
import { WORKER_VERSION, WorkerService } from '../serving/worker.service';
import { WorkerMetrics } from './worker-metrics';

/** How often the worker looks at how many servers its NATS server's cluster lists, ms. */
const MESH_CHECK_MS = 100;

/**
 * State sync (the middle time scale): every period the worker publishes its state on
 * `epara.v1.state.<device>` (gateways route by it) and puts it in the TTL'd KV `epara_devices`
 * (the scheduler and `nats kv` read it). A device whose heartbeats stop disappears by itself.
 */
@Injectable()
export class HeartbeatService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(HeartbeatService.name);
  private timer?: NodeJS.Timeout;
  private kv!: KV;
  private readonly startedAt = Date.now();
  private lastBeatMs = performance.now();
  private draining = false;
  private readonly mesh = new MeshSettling();
  /** What the last look at this worker's NATS server's cluster found (MeshSettling). */
  private rejoining?: string;
  private meshTimer?: NodeJS.Timeout;

  constructor(
    private readonly nats: NatsClient,
    private readonly worker: WorkerService,
    private readonly metrics: WorkerMetrics,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(EVENT_PUBLISHER) private readonly events: EventPublisher,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.kv = await this.nats.kv(Bucket.Devices);
    await this.beat();
    this.events.emit(EventKind.DeviceJoined, { device: this.config.device });
    // Requests sent here while the connection was down (or inside a server that died) never arrived:
    // gateways send theirs again elsewhere while their deadlines allow.
    this.nats.health.onReconnect((disconnectedAt) =>
      this.events.emit(EventKind.DeviceReconnected, { device: this.config.device, disconnectedAt }),
    );
    // A property read every 100 ms: the moment every route is back, gateways hear of it from a beat.
    this.meshTimer = setInterval(() => {
      const why = this.mesh.observe(this.nats.nc.info?.connect_urls?.length, Date.now());
      if (why === this.rejoining) return;
      if (why) this.logger.warn(`not taking requests: ${why}`);
      else this.logger.log('taking requests again: every route of its NATS server is back');
      this.rejoining = why;
      this.beat().catch((e) => this.logger.warn(`heartbeat failed: ${(e as Error).message}`));
    }, MESH_CHECK_MS);
    this.timer = setInterval(() => {
      // The periodic retune shares the heartbeat's period: batch limits follow measured times.
      this.worker.retuneBatching();
      this.beat().catch((e) => this.logger.warn(`heartbeat failed: ${(e as Error).message}`));
    }, this.config.heartbeatMs);
  }

  state(): DeviceState {
    const now = performance.now();
    const intervalMs = Math.max(1, now - this.lastBeatMs);
    this.lastBeatMs = now;
    const utilization = Math.min(1, this.worker.takeBusyMs() / intervalMs / this.config.concurrency);
    // While its NATS server rejoins its cluster a reply could be dropped on its way: no unit takes requests.
    const loads = this.worker.functionLoads();
    const functions = this.rejoining ? loads.map((f) => ({ ...f, ready: false })) : loads;
    const used = this.worker.usedMemoryBytes();
    return {
      device: this.config.device,
      slot: this.config.slot,
      host: this.config.host,
      deviceClass: this.worker.deviceClass,
      executionProvider: this.worker.provider,
      ...(this.worker.providerNote ? { providerNote: this.worker.providerNote } : {}),
      memoryBytes: this.config.memoryBytes,
      memoryFreeBytes: Math.max(0, this.config.memoryBytes - used),
      threads: this.config.threads,
      utilization: Math.round(utilization * 1000) / 1000,
      queued: this.worker.executor.queued,
      running: this.worker.executor.running,
      functions,
      draining: this.draining,
      ...(this.rejoining ? { rejoining: this.rejoining } : {}),
      startedAt: this.startedAt,
      at: Date.now(),
      version: WORKER_VERSION,
    };
  }

  async beat(): Promise<void> {
    const s = this.state();
    this.metrics.utilization.set(s.utilization);
    // A unit can be listed twice (old model draining beside the new one): the gauge is their sum.
    const queued = new Map<string, number>();
    for (const f of s.functions) queued.set(f.fn, (queued.get(f.fn) ?? 0) + f.queued);
    for (const [fn, n] of queued) this.metrics.queueDepth.set({ function: fn }, n);
    const bytes = encodeJson(s);
    this.nats.nc.publish(subjects.state(this.config.device), bytes);
    await this.kv.put(this.config.device, bytes);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.meshTimer) clearInterval(this.meshTimer);
    this.draining = true;
    // Leave at once rather than after the TTL: the scheduler re-places this device's work now.
    await this.kv?.delete(this.config.device).catch(() => undefined);
  }
}
