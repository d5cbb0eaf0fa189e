import { join } from 'node:path';
import { importEsm } from '../../test/support/esm';

/** Plain ESM, as every script (they run before any build). */
const load = () => importEsm<any>(join(__dirname, 'nats-config.mjs'));

describe('nats-server config from the EPARA_ROLE=nats variables', () => {
  it('renders a JetStream cluster node with its routes', async () => {
    const { natsConfigFromEnv, renderNatsServerConfig } = await load();
    const env = {
      NATS_SERVER_NAME: 'h1',
      NATS_LISTEN: '10.0.0.1:4222',
      NATS_JETSTREAM_DIR: '/var/lib/nats',
      NATS_CLUSTER_NAME: 'epara',
      NATS_CLUSTER_LISTEN: '10.0.0.1:6222',
      NATS_ROUTES: 'nats-route://10.0.0.2:6222, nats-route://10.0.0.3:6222',
      NATS_MONITOR_PORT: '8222',
    };
    expect(renderNatsServerConfig({ ...natsConfigFromEnv(env), includes: ['../auth.conf'] })).toBe(
      [
        'server_name: "h1"',
        'listen: 10.0.0.1:4222',
        'http_port: 8222',
        'max_payload: 8MB',
        'ping_interval: "1s"',
        'ping_max: 3',
        'write_deadline: "2s"',
        'jetstream {\n  store_dir: "/var/lib/nats"\n}',
        'cluster {\n  name: "epara"\n  listen: 10.0.0.1:6222\n  routes: [\n    "nats-route://10.0.0.2:6222"\n    "nats-route://10.0.0.3:6222"\n  ]\n}',
        'include "../auth.conf"',
        '',
      ].join('\n'),
    );
  });

  it('renders a leaf node of a hub, without JetStream (the hub holds it)', async () => {
    const { natsConfigFromEnv, renderNatsServerConfig } = await load();
    const text = renderNatsServerConfig(natsConfigFromEnv({ NATS_SERVER_NAME: 'site1', NATS_LEAF_REMOTES: 'nats-leaf://10.0.0.1:7422' }));
    expect(text).toBe(
      [
        'server_name: "site1"',
        'listen: 0.0.0.0:4222',
        'max_payload: 8MB',
        'ping_interval: "1s"',
        'ping_max: 3',
        'write_deadline: "2s"',
        'leafnodes {\n  remotes: [\n    { url: "nats-leaf://10.0.0.1:7422" }\n  ]\n}',
        '',
      ].join('\n'),
    );
    expect(renderNatsServerConfig(natsConfigFromEnv({ NATS_LEAF_LISTEN: '0.0.0.0:7422' }))).toContain(
      'leafnodes {\n  listen: 0.0.0.0:7422\n}',
    );
  });

  it('refuses what nats-server would refuse or misread, naming the variable', async () => {
    const { natsConfigFromEnv } = await load();
    expect(() => natsConfigFromEnv({ NATS_LISTEN: '4222' })).toThrow(/NATS_LISTEN=4222 is not host:port/);
    expect(() => natsConfigFromEnv({ NATS_PING_INTERVAL: '1' })).toThrow(/NATS_PING_INTERVAL=1 is not a duration/);
    expect(() => natsConfigFromEnv({ NATS_WRITE_DEADLINE: 'soon' })).toThrow(/NATS_WRITE_DEADLINE=soon is not a duration/);
    expect(() => natsConfigFromEnv({ NATS_PING_MAX: '0' })).toThrow(/NATS_PING_MAX=0 is not a count/);
    expect(() => natsConfigFromEnv({ NATS_ROUTES: 'nats-route://h2:6222' })).toThrow(/need NATS_CLUSTER_NAME/);
    expect(() => natsConfigFromEnv({ NATS_CLUSTER_NAME: 'c', NATS_CLUSTER_LISTEN: '0.0.0.0:6222', NATS_ROUTES: 'nats://h2:6222' })).toThrow(
      /NATS_ROUTES: nats:\/\/h2:6222 should be a nats-route:\/\/ URL/,
    );
    expect(() => natsConfigFromEnv({ NATS_CLUSTER_NAME: 'c', NATS_CLUSTER_LISTEN: '0.0.0.0:6222', NATS_JETSTREAM_DIR: '/js' })).toThrow(
      /JetStream cluster needs NATS_SERVER_NAME/,
    );
  });
});
