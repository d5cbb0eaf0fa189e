import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, NatsConnection } from '@nats-io/transport-node';
import { KvMirror } from '@epara/nats';
import { startNats, TestNats } from './support/nats-server';
import { waitFor } from './support/wait-for';

/**
 * A KvMirror whose watch goes quiet (its consumer gone with the server that held it, as when that
 * server is cut off from the cluster) notices the bucket moved on and follows again, without waiting
 * for nats.js to give up on missed heartbeats.
 */
describe('KvMirror: a stalled watch', () => {
  let nats: TestNats;
  let nc: NatsConnection;

  beforeAll(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.url });
  });

  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
  });

  it.each([
    ['the whole bucket', '>'],
    ['one key', 'cpu-0'],
  ])(
    'is restarted from the revision it lacks (%s)',
    async (_what, key) => {
      const bucket = `mirror_${key === '>' ? 'all' : 'one'}`;
      const kv = await new Kvm(nc).create(bucket);
      await kv.put('cpu-0', JSON.stringify({ v: 1 }));
      const mirror = await new KvMirror<{ v: number }>(kv, key).start();
      try {
        expect(mirror.get('cpu-0')).toEqual({ v: 1 });
        // Take the watch's consumer away behind its back: it receives nothing more.
        const jsm = await jetstreamManager(nc);
        const watchers = (await jsm.consumers.list(`KV_${bucket}`).next()).filter((c) => !c.config.headers_only); // kv.keys() leaves a headers-only one
        expect(watchers.length).toBe(1);
        await jsm.consumers.delete(`KV_${bucket}`, watchers[0].name);
        await kv.put('cpu-0', JSON.stringify({ v: 2 }));
        await kv.put('cpu-0', JSON.stringify({ v: 3 }));
        await waitFor(async () => mirror.get('cpu-0')?.v === 3 || undefined, 15_000, 'the mirror following the bucket again');
      } finally {
        mirror.stop();
      }
    },
    30_000,
  );
});
