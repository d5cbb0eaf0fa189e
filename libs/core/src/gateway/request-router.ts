import { Mode } from '@epara/contracts/vocabulary';
import type { ServingPolicy } from '@epara/policy';
// Leaf modules, not the index: the simulator calls these per request, and each call through a re-export costs a getter under tsx.
import { chooseBatchReplica } from '@epara/policy/routing/choose-batch-replica';
import { chooseReplica } from '@epara/policy/routing/choose-replica';
import { chooseStickyReplica } from '@epara/policy/routing/choose-sticky-replica';
import type { RouteParams } from '@epara/policy/routing/types';
import { STALE_AFTER_MS } from './replica-staleness';
import type { ReplicaViewPort, RoutableReplica } from './replica-view';
import { Route, RouteTarget } from './route';

/** What a router needs of the serving policy, and its source of randomness. */
export interface RouterConfig {
  /** Which policy is serving: its routing (own choice or the queue group), its name for the reasons. */
  policy: Pick<ServingPolicy, 'name' | 'routing'>;
  /** Uniform in [0, 1): Math.random live, a seeded generator in the simulator. */
  random: () => number;
  /** A replica whose state is older than this, ms, is not chosen. Default STALE_AFTER_MS. */
  staleAfterMs?: number;
}

/**
 * The gateway's request routing, free of I/O: from what the replica view reports, where a request (or
 * one pipeline stage of it) goes, when it must be done, and where it goes again after "no responders".
 * The leaf choice is libs/policy's: power of two choices over the load (`chooseReplica`), or the batch
 * window (`chooseBatchReplica`) for `batch`-mode functions, or, for a request of a stateful stream, the
 * replica that holds its state (`chooseStickyReplica`, rendezvous hashing of the stream id over the live
 * replicas). The live gateway and the simulator both run it.
 */
export class RequestRouter<F, C extends RoutableReplica = RoutableReplica> {
  private readonly params: RouteParams;
  private readonly random: () => number;

  constructor(
    private readonly view: ReplicaViewPort<F, C>,
    private readonly config: RouterConfig,
  ) {
    this.params = { staleAfterMs: config.staleAfterMs ?? STALE_AFTER_MS };
    this.random = config.random;
  }

  /**
   * A request's deadline, epoch ms: the earlier of the client's own (when it sent one) and arrival + the
   * function's latency SLO.
   */
  static deadlineOf(sloMs: number, arrivalMs: number, clientDeadlineMs?: number): number {
    const own = arrivalMs + sloMs;
    return clientDeadlineMs && clientDeadlineMs > 0 ? Math.min(own, clientDeadlineMs) : own;
  }

  /**
   * Where a request of `fn` (or its pipeline stage `stage`) goes. `exclude` skips a device that just failed.
   * `streamKey` (a stream id) pins the request to the replica that holds the stream's state, whatever the
   * policy's routing: a stream's state is not a policy choice.
   */
  route(fn: F, exclude?: string, stage?: number, streamKey?: string): Route<F, C> {
    if (streamKey !== undefined) return this.routeSticky(fn, streamKey, exclude, stage);
    if (this.config.policy.routing === 'queue-group' && stage !== undefined) return this.routeStageAtRandom(fn, exclude, stage);
    if (this.config.policy.routing === 'queue-group') {
      const mode = this.view.placedMode(fn, stage);
      if (mode === undefined) return new Route<F, C>(RouteTarget.Unplaced, fn, Mode.Dp, 'no replica placed', undefined, stage);
      return new Route<F, C>(
        RouteTarget.QueueGroup,
        fn,
        mode,
        `policy ${this.config.policy.name}: the queue group picks`,
        undefined,
        stage,
      );
    }
    const replicas = this.view.replicas(fn, stage);
    if (replicas.length === 0) return new Route<F, C>(RouteTarget.Unplaced, fn, Mode.Dp, 'no replica placed', undefined, stage);
    const mode = replicas[0].mode;
    // Copy only when a device is excluded (a retry): the view may hand out its own array.
    const candidates = exclude === undefined ? replicas : replicas.filter((r) => r.device !== exclude);
    const d =
      mode === Mode.Batch ? chooseBatchReplica(candidates, this.random, this.params) : chooseReplica(candidates, this.random, this.params);
    if (d.kind === 'none' && stage !== undefined) {
      // Stages have no queue-group subject: try a replica of this stage even if it looks busy or stale.
      const r = replicas.find((x) => x.device !== exclude) ?? replicas[0];
      return new Route<F, C>(RouteTarget.Replica, fn, r.mode, `stage ${stage}: ${d.reason}`, r, stage);
    }
    if (d.kind === 'none') {
      // Nobody looks ready from here (heartbeats lag a fresh placement): let the queue group decide.
      return new Route<F, C>(RouteTarget.QueueGroup, fn, mode, `fallback to queue group: ${d.reason}`, undefined, stage);
    }
    const chosen = candidates[d.index];
    return new Route<F, C>(RouteTarget.Replica, fn, chosen.mode, d.reason, chosen, stage);
  }

  /**
   * A pipeline stage under a queue-group policy: stages listen on their devices' subjects only (one per
   * function and device, `Epara-Stage` picks the stage), so there is no group to leave the pick to. What a
   * queue group would do stands in: one of the stage's replicas, uniformly at random.
   */
  private routeStageAtRandom(fn: F, exclude: string | undefined, stage: number): Route<F, C> {
    const replicas = this.view.replicas(fn, stage);
    if (replicas.length === 0) return new Route<F, C>(RouteTarget.Unplaced, fn, Mode.Dp, 'no replica placed', undefined, stage);
    const others = exclude === undefined ? replicas : replicas.filter((r) => r.device !== exclude);
    const pool = others.length ? others : replicas;
    const r = pool[Math.min(pool.length - 1, Math.floor(this.random() * pool.length))];
    return new Route<F, C>(
      RouteTarget.Replica,
      fn,
      r.mode,
      `policy ${this.config.policy.name}: stage ${stage} has no queue group; a replica at random, as one would pick`,
      r,
      stage,
    );
  }

  private routeSticky(fn: F, streamKey: string, exclude: string | undefined, stage: number | undefined): Route<F, C> {
    const replicas = this.view.replicas(fn, stage);
    if (replicas.length === 0) return new Route<F, C>(RouteTarget.Unplaced, fn, Mode.Dp, 'no replica placed', undefined, stage, streamKey);
    const candidates = exclude === undefined ? replicas : replicas.filter((r) => r.device !== exclude);
    const d = chooseStickyReplica(candidates, streamKey, this.params);
    if (d.kind === 'none') {
      // Nobody looks ready from here: the queue group picks one, and the stream restarts there (its reply says so).
      return new Route<F, C>(
        RouteTarget.QueueGroup,
        fn,
        replicas[0].mode,
        `fallback to queue group: ${d.reason}`,
        undefined,
        stage,
        streamKey,
      );
    }
    const chosen = candidates[d.index];
    return new Route<F, C>(RouteTarget.Replica, fn, chosen.mode, d.reason, chosen, stage, streamKey);
  }

  /**
   * Where a request goes after its route had no responders (nothing ran, so one retry is safe): another
   * replica, or the whole queue group when the view has no other; a queue-group route stays as it was.
   */
  retryTarget(failed: Route<F, C>): Route<F, C> {
    return failed.replica ? this.route(failed.fn, failed.replica.device, failed.stage, failed.streamKey) : failed;
  }
}
