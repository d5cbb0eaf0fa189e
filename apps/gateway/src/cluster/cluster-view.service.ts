import { Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { FunctionRecord, Mode, unitKey } from '@epara/contracts';
import { STALE_AFTER_MS } from '@epara/core';
import { ClusterState, NatsClient, ReplicaView } from '@epara/nats';

/** The gateway's local view of the cluster, plus the requests this gateway has in flight per device. */
@Injectable()
export class ClusterView implements OnModuleInit, OnApplicationShutdown {
  readonly state: ClusterState;
  private readonly inflight = new Map<string, number>();

  constructor(nats: NatsClient) {
    this.state = new ClusterState(nats);
  }

  async onModuleInit(): Promise<void> {
    await this.state.start();
  }

  onApplicationShutdown(): void {
    this.state.stop();
  }

  /** Replicas of a function (or one stage) whose device is live and reports it loaded. */
  readyReplicas(fn: string, stage?: number): ReplicaView[] {
    const unit = unitKey(fn, stage);
    return this.state
      .replicas(fn, stage)
      .filter((r) => r.ageMs <= STALE_AFTER_MS && r.state?.functions.some((f) => f.fn === unit && f.ready));
  }

  /** Ready when a live replica reports it loaded — for a pipeline, every stage. */
  isReady(record: FunctionRecord): boolean {
    const units = record.model.stages?.length && record.category.mode === Mode.Pp ? record.model.stages.map((s) => s.index) : [undefined];
    return units.every((stage) => this.readyReplicas(record.name, stage).length > 0);
  }

  inflightOn(device: string): number {
    return this.inflight.get(device) ?? 0;
  }

  begin(device: string): void {
    this.inflight.set(device, (this.inflight.get(device) ?? 0) + 1);
  }

  end(device: string): void {
    this.inflight.set(device, Math.max(0, (this.inflight.get(device) ?? 1) - 1));
  }
}
