import { Categorization, DevicePlacement, Profile } from './records';
import { EventKind } from './vocabulary';

/**
 * What each lifecycle event carries on `epara.v1.events.<kind>`, besides `kind` and `at` (which the
 * publisher adds). The wire document is `{ kind, at, ...payload }`; a payload that carries its own `at`
 * (a placement) keeps it.
 */
export interface EventMap {
  [EventKind.Deployed]: { function: string; sha256: string; category: Categorization };
  [EventKind.Updated]: { function: string; category: Categorization };
  [EventKind.Deleted]: { function: string };
  /** The device's new placement, as stored in KV `epara_placement`; its `at` is the event's. */
  [EventKind.Placed]: DevicePlacement;
  /** `function` is the unit: the function name, or `<fn>#<stage>` for a pipeline stage. */
  [EventKind.ModelLoaded]: { function: string; device: string };
  /** A load failed; `retryInMs` until the next attempt, absent when the worker gave up on this model. */
  [EventKind.ModelFailed]: { function: string; device: string; reason: string; attempts: number; retryInMs?: number };
  [EventKind.DeviceJoined]: { device: string };
  [EventKind.DeviceLost]: { device: string };
  /** The worker's NATS connection dropped at `disconnectedAt` (its clock, epoch ms) and is back now. */
  [EventKind.DeviceReconnected]: { device: string; disconnectedAt: number };
  [EventKind.Recategorized]: { function: string; from: Categorization; to: Categorization };
  [EventKind.Profiled]: { function: string; device: string; profile: Profile };
}

/** The payload of one event kind. */
export type EventPayload<K extends EventKind> = EventMap[K];

/** An event as it travels: the kind, when it happened (ms since the epoch) and its payload. */
export type EventMessage<K extends EventKind = EventKind> = { kind: K; at: number } & EventMap[K];

/** Announces lifecycle events; bound to NATS in the apps, to a recorder in tests and the simulator. */
export interface EventPublisher {
  emit<K extends EventKind>(kind: K, payload: EventPayload<K>): void;
}
