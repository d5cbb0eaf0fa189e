import { Mode, unitKey } from '@epara/contracts';
import type { ReplicaViewPort, RoutableReplica } from '@epara/core';
import { ClusterView } from './cluster-view.service';

/**
 * The router's replica view on a live gateway: the placement's replicas from the cluster state, each
 * with its worker's last heartbeat and this gateway's own in-flight count on its device.
 */
export class ClusterReplicaView implements ReplicaViewPort<string> {
  constructor(private readonly cluster: ClusterView) {}

  placedMode(fn: string, stage?: number): Mode | undefined {
    return this.cluster.state.replicas(fn, stage)[0]?.mode;
  }

  replicas(fn: string, stage?: number): RoutableReplica[] {
    const unit = unitKey(fn, stage);
    return this.cluster.state.replicas(fn, stage).map((r) => {
      const load = r.state?.functions.find((f) => f.fn === unit);
      return {
        device: r.device,
        mode: r.mode,
        ready: load?.ready ?? false,
        ageMs: r.ageMs,
        // The device total: functions on one device share its compute.
        queued: r.state?.queued ?? 0,
        running: r.state?.running ?? 0,
        localInflight: this.cluster.inflightOn(r.device),
        execMsEwma: load?.execMsEwma ?? 0,
        fnQueued: load?.queued ?? 0,
        preferredBatchSize: load?.preferredBatchSize ?? 1,
      };
    });
  }
}
