import { EparaError } from './errors';
import { EventKind, Mode } from './vocabulary';

/** Function and device names: lower case, digits, '-' and '_'; they are subject tokens and KV keys. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export function isValidName(value: string): boolean {
  return NAME_PATTERN.test(value);
}

/** Throws EparaError(400) unless `value` can stand as one subject token (and one KV key). */
export function token(what: 'function' | 'device' | 'event' | 'client', value: string): string {
  if (typeof value !== 'string' || !isValidName(value)) {
    throw EparaError.badInput(
      `invalid ${what} name ${JSON.stringify(value)}: use 1-63 characters of a-z, 0-9, '-' and '_', starting with a letter or digit`,
      { field: what, value },
    );
  }
  return value;
}

const PREFIX = 'epara.v1';

/** Every public subject, built from checked tokens (see docs/architecture.md). Apps never assemble subjects by hand. */
export const subjects = {
  /** Public request/reply entry for producers; gateways answer it in queue group `epara-gateway`. */
  invoke: (fn: string) => `${PREFIX}.invoke.${token('function', fn)}`,
  invokeAny: `${PREFIX}.invoke.*`,
  /** All replicas of a function (queue group `epara.<fn>`), the fallback route. */
  mode: (mode: Mode, fn: string) => `${PREFIX}.${mode}.${token('function', fn)}`,
  /** One device's replica of a function, routed to by the gateway. */
  device: (mode: Mode, fn: string, device: string) => `${PREFIX}.${mode}.${token('function', fn)}.${token('device', device)}`,
  /** Durable invocations, captured by the JetStream stream `EPARA_ASYNC`. */
  async: (fn: string) => `${PREFIX}.async.${token('function', fn)}`,
  asyncAny: `${PREFIX}.async.>`,
  /**
   * An MQTT device's request: the NATS server's MQTT listener maps topic `epara/v1/mqtt/<fn>/<client>`
   * to this subject; the stream `EPARA_MQTT` keeps it until a gateway answered.
   */
  mqtt: (fn: string, client: string) => `${PREFIX}.mqtt.${token('function', fn)}.${token('client', client)}`,
  mqttAny: `${PREFIX}.mqtt.>`,
  /** Where the answer to an MQTT request goes: MQTT topic `epara/v1/reply/<client>/<fn>`. */
  mqttReply: (client: string, fn: string) => `${PREFIX}.reply.${token('client', client)}.${token('function', fn)}`,
  mqttReplyAny: `${PREFIX}.reply.>`,
  /** Cancels a running generation on a device (body: `{"requestId"}`): the client left. */
  cancel: (device: string) => `${PREFIX}.cancel.${token('device', device)}`,
  /** A worker answers here at once (empty reply): gateways and the scheduler probe it to notice a dead worker in well under a second. */
  live: (device: string) => `${PREFIX}.live.${token('device', device)}`,
  liveAny: `${PREFIX}.live.*`,
  cancelAny: `${PREFIX}.cancel.*`,
  /** Worker heartbeats. */
  state: (device: string) => `${PREFIX}.state.${token('device', device)}`,
  stateAny: `${PREFIX}.state.*`,
  /** Lifecycle events. */
  event: (kind: EventKind) => `${PREFIX}.events.${kind}`,
  eventAny: `${PREFIX}.events.>`,
};

/** Queue group shared by all replicas of a function, on both its subjects. */
export const functionQueue = (fn: string) => `epara.${token('function', fn)}`;
export const GATEWAY_QUEUE = 'epara-gateway';

/** The last token of a subject such as `epara.v1.invoke.<fn>`; undefined when absent. */
export function subjectToken(subject: string, index: number): string | undefined {
  return subject.split('.')[index];
}
