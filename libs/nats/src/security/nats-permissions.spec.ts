import { Bucket, subjects } from '@epara/contracts';
import {
  API_KEYS_BUCKET,
  inboxPrefixFor,
  mqttDevicePermissions,
  NATS_ROLES,
  NatsRole,
  renderAuthorization,
  rolePermissions,
} from './nats-permissions';

/** Whether a permission list lets `subject` through, with NATS wildcard rules (`*` one token, `>` the rest). */
function allows(patterns: string[], subject: string): boolean {
  const s = subject.split('.');
  return patterns.some((p) => {
    const t = p.split('.');
    for (let i = 0; i < t.length; i++) {
      if (t[i] === '>') return s.length > i;
      if (i >= s.length || (t[i] !== '*' && t[i] !== s[i])) return false;
    }
    return t.length === s.length;
  });
}
const pub = (role: NatsRole, subject: string, user?: string) => allows(rolePermissions(role, user).publish.allow, subject);
const sub = (role: NatsRole, subject: string, user?: string) => allows(rolePermissions(role, user).subscribe.allow, subject);

describe('rolePermissions', () => {
  it('lets a producer invoke (request/reply and durable) and read replies on its own inbox only', () => {
    expect(pub(NatsRole.Producer, subjects.invoke('mlp'), 'cam-1')).toBe(true);
    expect(pub(NatsRole.Producer, subjects.async('mlp'), 'cam-1')).toBe(true);
    expect(sub(NatsRole.Producer, '_INBOX_cam-1.abc.1', 'cam-1')).toBe(true);
    expect(sub(NatsRole.Producer, '_INBOX_cam-2.abc.1', 'cam-1')).toBe(false);
    expect(sub(NatsRole.Producer, '_INBOX.abc.1', 'cam-1')).toBe(false);
    expect(rolePermissions(NatsRole.Producer).allow_responses).toBeUndefined();
  });

  it('refuses a producer KV writes, heartbeats, events, worker subjects and everybody else’s traffic', () => {
    for (const subject of [
      `$KV.${Bucket.Functions}.mlp`,
      `$KV.${Bucket.Placement}.cpu-0`,
      '$JS.API.STREAM.PURGE.KV_epara_functions',
      '$JS.API.STREAM.INFO.KV_epara_functions',
      subjects.state('cpu-9'),
      subjects.event('deployed'),
      subjects.device('dp', 'mlp', 'cpu-0'),
      subjects.cancel('cpu-0'),
      '$SRV.PING',
    ])
      expect([subject, pub(NatsRole.Producer, subject)]).toEqual([subject, false]);
    for (const subject of ['epara.v1.invoke.mlp', subjects.state('cpu-0'), subjects.event('deployed'), '_INBOX.x'])
      expect([subject, sub(NatsRole.Producer, subject)]).toEqual([subject, false]);
  });

  it('lets only workers publish device heartbeats', () => {
    const heartbeat = subjects.state('cpu-0');
    expect(NATS_ROLES.filter((r) => pub(r, heartbeat))).toEqual([NatsRole.Worker]);
    expect(NATS_ROLES.filter((r) => pub(r, `$KV.${Bucket.Devices}.cpu-0`))).toEqual([NatsRole.Worker]);
  });

  it('gives the operator reads (KV, services, events, state) and no writes', () => {
    expect(pub(NatsRole.Operator, '$SRV.INFO.epara-worker')).toBe(true);
    expect(pub(NatsRole.Operator, `$JS.API.DIRECT.GET.KV_${Bucket.Functions}.$KV.${Bucket.Functions}.mlp`)).toBe(true);
    expect(pub(NatsRole.Operator, `$JS.API.CONSUMER.CREATE.KV_${Bucket.Placement}.x.$KV.${Bucket.Placement}.>`)).toBe(true);
    expect(sub(NatsRole.Operator, subjects.event('placed'))).toBe(true);
    expect(sub(NatsRole.Operator, subjects.state('cpu-0'))).toBe(true);
    for (const subject of [
      `$KV.${Bucket.Functions}.mlp`,
      `$JS.API.STREAM.PURGE.KV_${Bucket.Functions}`,
      `$JS.API.STREAM.CREATE.KV_${Bucket.Functions}`,
      `$O.epara_models.C.x`,
      subjects.invoke('mlp'),
      subjects.event('deployed'),
    ])
      expect([subject, pub(NatsRole.Operator, subject)]).toEqual([subject, false]);
  });

  it('keeps the API keys to the gateway', () => {
    const read = `$JS.API.DIRECT.GET.KV_${API_KEYS_BUCKET}.$KV.${API_KEYS_BUCKET}.k`;
    expect(NATS_ROLES.filter((r) => pub(r, read))).toEqual([NatsRole.Gateway]);
    expect(NATS_ROLES.filter((r) => pub(r, `$KV.${API_KEYS_BUCKET}.k`))).toEqual([NatsRole.Gateway]);
  });

  it('gives each app what its loops use', () => {
    expect(sub(NatsRole.Gateway, subjects.invoke('mlp'))).toBe(true);
    expect(pub(NatsRole.Gateway, subjects.device('batch', 'vad', 'cpu-1'))).toBe(true);
    expect(pub(NatsRole.Gateway, subjects.cancel('cpu-1'))).toBe(true);
    expect(pub(NatsRole.Gateway, `$JS.ACK.EPARA_ASYNC.epara-gateways.1.2.3.4.5`)).toBe(true);
    expect(sub(NatsRole.Worker, subjects.mode('dp', 'mlp'))).toBe(true);
    expect(sub(NatsRole.Worker, '$SRV.PING.epara-worker')).toBe(true);
    expect(pub(NatsRole.Worker, '$O.epara_payloads.C.x')).toBe(true);
    expect(pub(NatsRole.Worker, '$O.epara_models.C.x')).toBe(false);
    expect(pub(NatsRole.Scheduler, `$KV.${Bucket.Placement}.cpu-0`)).toBe(true);
    expect(pub(NatsRole.Scheduler, `$KV.${Bucket.Leader}.leader`)).toBe(true);
    expect(sub(NatsRole.Scheduler, subjects.invoke('mlp'))).toBe(false);
    // Any app may start first on a fresh server: each may create the buckets it finds missing.
    for (const role of [NatsRole.Gateway, NatsRole.Worker, NatsRole.Scheduler])
      expect(pub(role, `$JS.API.STREAM.CREATE.KV_${Bucket.Devices}`)).toBe(true);
  });

  it('lets the apps that answer requests reply to any inbox they were asked from, and nobody subscribe to all inboxes', () => {
    expect(rolePermissions(NatsRole.Worker).allow_responses).toEqual({ max: expect.any(Number), expires: expect.any(String) });
    expect(rolePermissions(NatsRole.Gateway).allow_responses).toBeDefined();
    for (const role of NATS_ROLES) {
      expect(sub(role, `${inboxPrefixFor(role)}.x`)).toBe(true);
      expect(sub(role, '_INBOX.x')).toBe(false);
      expect(pub(role, '_INBOX.x')).toBe(false);
    }
  });
});

describe('renderAuthorization', () => {
  const nkey = `U${'A'.repeat(55)}`;

  it('writes one user per entry with its permissions as JSON (no config variables)', () => {
    const text = renderAuthorization([{ name: 'producer', role: NatsRole.Producer, nkey }]);
    expect(text).toContain('authorization {');
    expect(text).toContain(`nkey: "${nkey}"`);
    expect(text).toContain(JSON.stringify(rolePermissions(NatsRole.Producer, 'producer')));
  });

  it('refuses a duplicate user and a key that is not a user key', () => {
    expect(() =>
      renderAuthorization([
        { name: 'a', role: NatsRole.Producer, nkey },
        { name: 'a', role: NatsRole.Producer, nkey },
      ]),
    ).toThrow(/twice/);
    expect(() => renderAuthorization([{ name: 'a', role: NatsRole.Producer, nkey: 'SUxx' }])).toThrow(/not an nkey user public key/);
  });

  it('refuses a user name that cannot be a subject token', () => {
    expect(() => inboxPrefixFor('a.b')).toThrow(/invalid NATS user name/);
  });
});

describe('MQTT device users', () => {
  it('publish only as themselves and read only their own answers', () => {
    expect(mqttDevicePermissions('cam-9')).toEqual({
      publish: { allow: ['epara.v1.mqtt.*.cam-9'] },
      subscribe: { allow: ['epara.v1.reply.cam-9', 'epara.v1.reply.cam-9.>', '$MQTT.sub.>'] },
    });
    expect(() => mqttDevicePermissions('Cam.9')).toThrow(/invalid MQTT device name/);
  });
});
