import { NatsConnection } from '@nats-io/transport-node';
import { EventKind, EventPayload, EventPublisher, subjects } from '@epara/contracts';
import { encodeJson } from '../codec/json-codec';

/**
 * Lifecycle events on `epara.v1.events.<kind>` as `{ kind, at, ...payload }` (a payload's own `at`, as a
 * placement has, wins). Fire and forget: events inform, nothing waits for them.
 */
export class NatsEventBus implements EventPublisher {
  constructor(
    private readonly nc: Pick<NatsConnection, 'publish'>,
    private readonly now: () => number = Date.now,
  ) {}

  emit<K extends EventKind>(kind: K, payload: EventPayload<K>): void {
    this.nc.publish(subjects.event(kind), encodeJson({ kind, at: this.now(), ...payload }));
  }
}
