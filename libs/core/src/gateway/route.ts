import { Mode, subjects } from '@epara/contracts';
import type { RoutableReplica } from './replica-view';

/** Where a router sends a request: a closed set. */
export const RouteTarget = {
  /** One replica's device subject. */
  Replica: 'replica',
  /** The function's queue-group subject: NATS picks among the subscribed replicas. */
  QueueGroup: 'queue-group',
  /** No replica is placed: nobody can serve it (the gateway answers 503). */
  Unplaced: 'unplaced',
} as const;
export type RouteTarget = (typeof RouteTarget)[keyof typeof RouteTarget];

/** A router's decision for one request (or one pipeline stage of it), with the reason for the log. */
export class Route<F, C extends RoutableReplica = RoutableReplica> {
  constructor(
    readonly target: RouteTarget,
    readonly fn: F,
    /** The subject's mode (the replica's own for `Replica`). */
    readonly mode: Mode,
    readonly reason: string,
    /** The chosen replica, for `Replica` only. */
    readonly replica?: C,
    /** The pipeline stage routed, if any. */
    readonly stage?: number,
    /** The stream id the route is pinned by (sticky routing), kept for the retry. */
    readonly streamKey?: string,
  ) {}

  /** The chosen replica's device, for `Replica` only. */
  get device(): string | undefined {
    return this.replica?.device;
  }
}

/**
 * The NATS subject of a route to a named function: the replica's device subject, or the function's
 * queue-group subject. Built on demand: the simulator never needs one.
 */
export function routeSubject(route: Route<string>): string {
  if (route.target === RouteTarget.Unplaced) throw new Error(`no subject: function "${route.fn}" has no replica placed`);
  return route.replica ? subjects.device(route.replica.mode, route.fn, route.replica.device) : subjects.mode(route.mode, route.fn);
}
