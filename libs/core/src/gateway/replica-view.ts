import type { Mode } from '@epara/contracts';
import type { BatchReplicaLoad } from '@epara/policy/routing/types';

/** One replica of a unit as a router sees it: its load (what the leaf choice reads) and its assigned mode. */
export interface RoutableReplica extends BatchReplicaLoad {
  /** The mode the placement assigned this replica: the subject it serves on and which leaf choice applies. */
  mode: Mode;
}

/**
 * What a gateway knows of one unit's replicas: the placement's list, each with what its worker last
 * reported (queue depth, running, ready, heartbeat age) and this gateway's own in-flight count there.
 * The live gateway binds it to its cluster state; the simulator to its virtual-time copy of the heartbeats.
 *
 * `F` names a function: its name in the gateway, its index in the simulator.
 */
export interface ReplicaViewPort<F, C extends RoutableReplica = RoutableReplica> {
  /**
   * The replicas of a function (or of one pipeline stage) in placement order, with their load as of
   * now; empty when none is placed. A view may reuse the array and its entries between calls: a route's
   * `replica` is read before the next call.
   */
  replicas(fn: F, stage?: number): readonly C[];

  /**
   * The mode the function's (or stage's) replicas are placed in, undefined when none is placed: all a
   * queue-group route needs, without building each replica's load (the simulator routes millions of
   * requests per simulated hour to functions placed on every device).
   */
  placedMode(fn: F, stage?: number): Mode | undefined;
}
