import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { natsContextEnv } from './nats-context';

describe(natsContextEnv.name, () => {
  const config = mkdtempSync(join(tmpdir(), 'epara-nats-ctx-'));
  mkdirSync(join(config, 'nats', 'context'), { recursive: true });
  writeFileSync(
    join(config, 'nats', 'context', 'edge.json'),
    JSON.stringify({
      description: 'edge site',
      url: 'nats://edge:4222',
      nkey: '/keys/operator.nk',
      ca: '/tls/ca.pem',
      inbox_prefix: '_INBOX_operator',
      user: '',
    }),
  );
  const env = { XDG_CONFIG_HOME: config };

  it('reads a nats CLI context as NATS_* variables (empty fields left out)', () => {
    expect(natsContextEnv('edge', env)).toEqual({
      name: 'edge',
      env: {
        NATS_URL: 'nats://edge:4222',
        NATS_NKEY_SEED: '/keys/operator.nk',
        NATS_TLS_CA: '/tls/ca.pem',
        NATS_INBOX_PREFIX: '_INBOX_operator',
      },
    });
    expect(natsContextEnv(undefined, { ...env, NATS_CONTEXT: 'edge' }).name).toBe('edge');
  });

  it("uses the nats CLI's selected context, and none when nothing is selected", () => {
    expect(natsContextEnv(undefined, env)).toEqual({ env: {} });
    writeFileSync(join(config, 'nats', 'context.txt'), 'edge\n');
    expect(natsContextEnv(undefined, env).env.NATS_URL).toBe('nats://edge:4222');
  });

  it('names a context that does not exist', () => {
    expect(() => natsContextEnv('nope', env)).toThrow(/no nats context "nope": .*nope\.json does not exist/);
  });
});
