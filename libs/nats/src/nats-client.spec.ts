import { getSha256Backend, setSha256Backend } from '@nats-io/obj';
import { NatsConnection } from '@nats-io/transport-node';
import { NatsClient } from './nats-client';

describe('NatsClient', () => {
  it("points the object store's chunk hashing at Node's native SHA-256 (the library's default is pure JS)", () => {
    setSha256Backend('js');
    // Enough of a connection for the JetStream, KV and object store clients to be built; nothing is sent.
    new NatsClient({ options: {} } as unknown as NatsConnection, { servers: 'nats://127.0.0.1:1', name: 'spec' });
    expect(getSha256Backend()).toBe('native');
  });
});
