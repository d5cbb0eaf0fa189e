/** JetStream buckets and streams (see docs/architecture.md). Everything important lives here, not in a process. */
export const Bucket = {
  Functions: 'epara_functions',
  Placement: 'epara_placement',
  Devices: 'epara_devices',
  Requests: 'epara_requests',
  Leader: 'epara_leader',
  /** Gateway API keys by id: name, scopes, SHA-256 of the key (never the key itself), expiry. */
  ApiKeys: 'epara_api_keys',
} as const;
export type Bucket = (typeof Bucket)[keyof typeof Bucket];

export const ObjectBucket = {
  Models: 'epara_models',
  /** Message bodies over the NATS max payload, by a unique key, each read once (`Epara-Payload-Ref`). */
  Payloads: 'epara_payloads',
} as const;
export const Stream = {
  Async: 'EPARA_ASYNC',
  /** Requests MQTT devices publish (`epara/v1/mqtt/<fn>/<client>`), kept until a gateway has answered them. */
  Mqtt: 'EPARA_MQTT',
} as const;
