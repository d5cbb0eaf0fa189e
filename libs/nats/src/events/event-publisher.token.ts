/** Nest token of the app's `EventPublisher` (NatsModule binds it to a NatsEventBus; specs pass a recorder). */
export const EVENT_PUBLISHER = Symbol('EVENT_PUBLISHER');
