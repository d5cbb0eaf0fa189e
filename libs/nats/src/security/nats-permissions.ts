/**
 * Who may publish and subscribe to what on Epara's NATS, per role, built from the subject and bucket
 * constants of @epara/contracts. The NATS server enforces it (users with permissions in the generated
 * config include, see credentials.ts): Epara adds no checks of its own on the broker side.
 *
 * Pure: no I/O. `renderAuthorization` writes the nats-server `authorization {}` block.
 */
import { Bucket, MODES, ObjectBucket, Stream, subjects } from '@epara/contracts';

export const NatsRole = {
  Gateway: 'gateway',
  Worker: 'worker',
  Scheduler: 'scheduler',
  /** Read-only: service discovery, KV reads, events, device state. */
  Operator: 'operator',
  /** IoT devices and other clients: invoke only, replies on their own inbox. */
  Producer: 'producer',
} as const;
export type NatsRole = (typeof NatsRole)[keyof typeof NatsRole];
export const NATS_ROLES: readonly NatsRole[] = Object.values(NatsRole);

/** The gateway's API keys (hashes): only gateways read or write them; the operator role never sees them. */
export const API_KEYS_BUCKET = Bucket.ApiKeys;

/** A user name: a subject token (it names the user's inbox prefix), as function and device names. */
export const NATS_USER_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/**
 * Each user's replies arrive under its own prefix, so that nobody may subscribe to everybody's `_INBOX.>`.
 * Clients pass it as nats.js `inboxPrefix` (the nats CLI: `--inbox-prefix`).
 */
export function inboxPrefixFor(user: string): string {
  if (!NATS_USER_PATTERN.test(user)) throw new Error(`invalid NATS user name ${JSON.stringify(user)}: use a-z, 0-9, '-' and '_'`);
  return `_INBOX_${user}`;
}

export interface SubjectPermission {
  allow: string[];
}

/** nats-server's `permissions` block of one user. */
export interface UserPermissions {
  publish: SubjectPermission;
  subscribe: SubjectPermission;
  /**
   * Lets the user publish to the reply subject of a message it received (for `max` messages within
   * `expires`): how workers answer a producer's inbox directly and how services answer `$SRV` requests,
   * without a publish permission on anybody's inbox.
   */
  allow_responses?: { max: number; expires: string };
}

const kvStream = (bucket: string) => `KV_${bucket}`;
const objectStream = (bucket: string) => `OBJ_${bucket}`;

/** The JetStream streams behind every Epara bucket and stream. */
const KV_BUCKETS: string[] = Object.values(Bucket);
/** What an operator may read: every KV bucket but the API keys. */
const OPERATOR_BUCKETS = KV_BUCKETS.filter((b) => b !== API_KEYS_BUCKET);
const ALL_STREAMS = [...KV_BUCKETS.map(kvStream), ...Object.values(ObjectBucket).map(objectStream), ...Object.values(Stream)];

/** Starting an app: account info, and each stream looked up (created when missing: any app may start first). */
const bootstrapApi = (streams: readonly string[]) => ['$JS.API.INFO', ...streams.map((s) => `$JS.API.STREAM.INFO.${s}`)];
const createStreamApi = (streams: readonly string[]) => streams.map((s) => `$JS.API.STREAM.CREATE.${s}`);

/** Reading a stream: message gets (direct and not), consumers (KV watches, object reads, work queues). */
function readApi(stream: string): string[] {
  return [
    `$JS.API.STREAM.INFO.${stream}`,
    `$JS.API.STREAM.MSG.GET.${stream}`,
    `$JS.API.DIRECT.GET.${stream}`,
    `$JS.API.DIRECT.GET.${stream}.>`,
    `$JS.API.CONSUMER.CREATE.${stream}`,
    `$JS.API.CONSUMER.CREATE.${stream}.>`,
    `$JS.API.CONSUMER.INFO.${stream}.>`,
    `$JS.API.CONSUMER.DELETE.${stream}.>`,
    `$JS.API.CONSUMER.MSG.NEXT.${stream}.>`,
    // Flow-control answers of the ordered consumers that KV watches and object reads use.
    `$JS.FC.${stream}.>`,
  ];
}

/** Changing a stream's messages: purges (object deletes, KV purges) and message deletes. */
const writeApi = (stream: string) => [`$JS.API.STREAM.PURGE.${stream}`, `$JS.API.STREAM.MSG.DELETE.${stream}`];

interface Grants {
  publish: string[];
  subscribe: string[];
}

function kvRead(bucket: string): Grants {
  return { publish: readApi(kvStream(bucket)), subscribe: [] };
}
function kvWrite(bucket: string): Grants {
  return { publish: [...readApi(kvStream(bucket)), ...writeApi(kvStream(bucket)), `$KV.${bucket}.>`], subscribe: [] };
}
function objectRead(bucket: string): Grants {
  return { publish: readApi(objectStream(bucket)), subscribe: [] };
}
function objectWrite(bucket: string): Grants {
  return {
    publish: [...readApi(objectStream(bucket)), ...writeApi(objectStream(bucket)), `$O.${bucket}.>`],
    subscribe: [],
  };
}

const workerSubjects = MODES.map((mode) => `epara.v1.${mode}.>`);
const STREAM_LISTING = ['$JS.API.STREAM.NAMES', '$JS.API.STREAM.LIST'];
/** Replies to received requests: long enough for a streamed generation (one message per token). */
const SERVICE_RESPONSES = { max: 100_000, expires: '10m' };

function merge(...parts: Grants[]): Grants {
  return { publish: parts.flatMap((p) => p.publish), subscribe: parts.flatMap((p) => p.subscribe) };
}

function roleGrants(role: NatsRole): Grants {
  switch (role) {
    case NatsRole.Gateway:
      return merge(
        {
          // Routes to workers, cancels, events; durable invocations taken over HTTP go into EPARA_ASYNC.
          publish: [
            ...bootstrapApi(ALL_STREAMS),
            ...createStreamApi(ALL_STREAMS),
            ...STREAM_LISTING,
            ...workerSubjects,
            subjects.cancelAny,
            subjects.liveAny,
            subjects.eventAny,
            subjects.asyncAny,
            // The work queues gateways take from: durable invocations, and MQTT devices' requests (answered on epara.v1.reply.>).
            ...[Stream.Async, Stream.Mqtt].flatMap((s) => [`$JS.API.CONSUMER.DURABLE.CREATE.${s}.>`, `$JS.ACK.${s}.>`]),
            subjects.mqttReplyAny,
          ],
          subscribe: [subjects.invokeAny, subjects.stateAny, subjects.eventAny],
        },
        { publish: [...readApi(Stream.Async), ...readApi(Stream.Mqtt)], subscribe: [] },
        kvWrite(Bucket.Functions),
        kvWrite(Bucket.Requests),
        kvWrite(API_KEYS_BUCKET),
        kvRead(Bucket.Placement),
        kvRead(Bucket.Devices),
        objectWrite(ObjectBucket.Models),
        objectWrite(ObjectBucket.Payloads),
      );
    case NatsRole.Worker:
      return merge(
        {
          // Only workers may publish heartbeats: a device is trusted because its heartbeat came over this role.
          publish: [...bootstrapApi(ALL_STREAMS), ...createStreamApi(ALL_STREAMS), subjects.stateAny, subjects.eventAny],
          subscribe: [...workerSubjects, subjects.cancelAny, subjects.liveAny, subjects.eventAny, '$SRV.>'],
        },
        kvWrite(Bucket.Devices),
        // Profiles measured on first load are written into the function's record.
        kvWrite(Bucket.Functions),
        kvRead(Bucket.Placement),
        objectRead(ObjectBucket.Models),
        objectWrite(ObjectBucket.Payloads),
      );
    case NatsRole.Scheduler:
      return merge(
        {
          publish: [...bootstrapApi(ALL_STREAMS), ...createStreamApi(ALL_STREAMS), subjects.liveAny, subjects.eventAny],
          subscribe: [subjects.stateAny, subjects.eventAny],
        },
        kvWrite(Bucket.Placement),
        kvWrite(Bucket.Leader),
        // Re-categorization writes the function's record.
        kvWrite(Bucket.Functions),
        kvRead(Bucket.Devices),
      );
    case NatsRole.Operator:
      return merge(
        {
          // `$SRV.>`: service discovery (what `nats micro ls|info|stats` sends); the answers come to its inbox.
          publish: ['$JS.API.INFO', ...STREAM_LISTING, '$SRV.>'],
          subscribe: [subjects.eventAny, subjects.stateAny],
        },
        ...OPERATOR_BUCKETS.map(kvRead),
        objectRead(ObjectBucket.Models),
      );
    case NatsRole.Producer:
      return { publish: [subjects.invokeAny, subjects.asyncAny.replace(/>$/, '*')], subscribe: [] };
  }
}

/** The permissions of `user` in `role`: what it needs and no more. Its replies come to `_INBOX_<user>.>`. */
export function rolePermissions(role: NatsRole, user: string = role): UserPermissions {
  const grants = roleGrants(role);
  const permissions: UserPermissions = {
    publish: { allow: [...new Set(grants.publish)] },
    subscribe: { allow: [...new Set([...grants.subscribe, `${inboxPrefixFor(user)}.>`])] },
  };
  // Apps answer requests they received (workers straight to the producer's inbox); clients only ask.
  if (role === NatsRole.Gateway || role === NatsRole.Worker) permissions.allow_responses = { ...SERVICE_RESPONSES };
  return permissions;
}

/** One user of the generated config: its name (for logs and its inbox prefix), role and nkey public key. */
export interface NatsUser {
  name: string;
  role: NatsRole;
  /** The nkey public key (`U…`) the server knows the user by. */
  nkey: string;
}

/**
 * An MQTT device (MQTT logins take a user name and password, not nkeys): it publishes requests only as
 * itself, `epara/v1/mqtt/<fn>/<its name>`, and reads only its own answers, `epara/v1/reply/<its name>/#`.
 * `$MQTT.sub.>` is where the server delivers a QoS 1 subscription's messages to the device's session.
 */
export interface MqttDeviceUser {
  name: string;
  password: string;
}

export function mqttDevicePermissions(client: string): UserPermissions {
  if (!NATS_USER_PATTERN.test(client)) throw new Error(`invalid MQTT device name ${JSON.stringify(client)}: use a-z, 0-9, '-' and '_'`);
  return {
    publish: { allow: [`epara.v1.mqtt.*.${client}`] },
    // MQTT's `epara/v1/reply/<client>/#` subscribes to the level itself as well as below it.
    subscribe: { allow: [`epara.v1.reply.${client}`, `epara.v1.reply.${client}.>`, '$MQTT.sub.>'] },
  };
}

/**
 * The nats-server config include with every user and its permissions (values are JSON strings, so
 * `$JS…` subjects are not taken for config variables).
 */
export function renderAuthorization(users: readonly NatsUser[], mqttDevices: readonly MqttDeviceUser[] = []): string {
  const names = new Set<string>();
  const entries = users.map((u) => {
    if (names.has(u.name)) throw new Error(`NATS user ${u.name} appears twice`);
    names.add(u.name);
    if (!/^U[A-Z2-7]{55}$/.test(u.nkey)) throw new Error(`NATS user ${u.name}: ${JSON.stringify(u.nkey)} is not an nkey user public key`);
    return `    # ${u.name} (role ${u.role}; inbox prefix ${inboxPrefixFor(u.name)})\n    { nkey: ${JSON.stringify(u.nkey)}, permissions: ${JSON.stringify(rolePermissions(u.role, u.name))} }`;
  });
  for (const d of mqttDevices) {
    if (names.has(d.name)) throw new Error(`NATS user ${d.name} appears twice`);
    names.add(d.name);
    entries.push(
      `    # ${d.name} (MQTT device: user name and password)\n    { user: ${JSON.stringify(d.name)}, password: ${JSON.stringify(d.password)}, permissions: ${JSON.stringify(mqttDevicePermissions(d.name))} }`,
    );
  }
  return [
    '# Generated by scripts/gen-credentials.mjs: Epara role users and their permissions. Do not edit;',
    '# regenerate (node scripts/gen-credentials.mjs --rotate) and restart nats-server and the apps to rotate.',
    'authorization {',
    '  users = [',
    entries.join(',\n'),
    '  ]',
    '}',
    '',
  ].join('\n');
}
