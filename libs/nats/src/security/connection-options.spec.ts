import { createUser } from '@nats-io/nkeys';
import { natsConnectionSecurity, natsSecurityFromEnv } from './connection-options';

const kp = createUser();
const seed = new TextDecoder().decode(kp.getSeed());
const files: Record<string, string> = {
  '/c/producer.nk': `# comment\n${seed}\n`,
  '/c/ca.pem': 'CA',
  '/c/cert.pem': 'CERT',
  '/c/key.pem': 'KEY',
  '/c/user.creds': '-----BEGIN NATS USER JWT-----\neyJ\n------END NATS USER JWT------\n-----BEGIN USER NKEY SEED-----\nSU\n',
  '/c/bad.creds': 'nothing',
};
const read = (path: string) => {
  if (!(path in files)) throw new Error(`ENOENT: no such file, open '${path}'`);
  return files[path];
};
const build = (s: Parameters<typeof natsConnectionSecurity>[0]) => natsConnectionSecurity(s, undefined, read);

describe('natsSecurityFromEnv', () => {
  it('reads the variables NATS users know and skips empty ones', () => {
    expect(
      natsSecurityFromEnv({ NATS_NKEY_SEED: ' /c/producer.nk ', NATS_TLS_CA: '/c/ca.pem', NATS_USER: '', NATS_INBOX_PREFIX: '_INBOX_p' }),
    ).toEqual({
      nkeySeed: '/c/producer.nk',
      tlsCa: '/c/ca.pem',
      inboxPrefix: '_INBOX_p',
    });
  });
});

describe('natsConnectionSecurity', () => {
  it('connects without credentials when none are set', () => {
    expect(build({})).toEqual({ options: {}, identity: 'anonymous', tls: false });
  });

  it('reads an nkey seed from a file (comments allowed) or as the seed itself, naming the public key', () => {
    const fromFile = build({ nkeySeed: '/c/producer.nk' });
    expect(typeof fromFile.options.authenticator).toBe('function');
    expect(fromFile.identity).toBe(`nkey ${kp.getPublicKey()} (/c/producer.nk)`);
    expect(build({ nkeySeed: seed }).identity).toBe(`nkey ${kp.getPublicKey()}`);
    expect(() => build({ nkeySeed: '/c/ca.pem' })).toThrow('NATS_NKEY_SEED=/c/ca.pem is neither an nkey user seed');
    expect(() => build({ nkeySeed: '/c/none.nk' })).toThrow('NATS_NKEY_SEED=/c/none.nk cannot be read');
  });

  it('takes user and password, a token, or a creds file', () => {
    expect(build({ user: 'ops', password: 'pw' })).toMatchObject({ options: { user: 'ops', pass: 'pw' }, identity: 'user "ops"' });
    expect(build({ token: 't0k' })).toMatchObject({ options: { token: 't0k' }, identity: 'token' });
    expect(build({ credsFile: '/c/user.creds' }).identity).toBe('creds file /c/user.creds');
    expect(() => build({ credsFile: '/c/bad.creds' })).toThrow('NATS_CREDS=/c/bad.creds is not a NATS creds file');
  });

  it('refuses two ways of authenticating and half a user', () => {
    expect(() => build({ nkeySeed: seed, token: 't' })).toThrow('set one way of authenticating to NATS, not NATS_NKEY_SEED and NATS_TOKEN');
    expect(() => build({ user: 'ops' })).toThrow('NATS_USER is set without NATS_PASSWORD');
    expect(() => build({ password: 'pw' })).toThrow('NATS_PASSWORD is set without NATS_USER');
  });

  it('turns TLS on with a CA, adds the client certificate for mutual TLS, and wants both halves of it', () => {
    expect(build({ tlsCa: '/c/ca.pem' })).toMatchObject({ options: { tls: { caFile: '/c/ca.pem' } }, tls: true });
    expect(build({ tlsCa: '/c/ca.pem', tlsCert: '/c/cert.pem', tlsKey: '/c/key.pem' }).options.tls).toEqual({
      caFile: '/c/ca.pem',
      certFile: '/c/cert.pem',
      keyFile: '/c/key.pem',
    });
    expect(() => build({ tlsCert: '/c/cert.pem' })).toThrow(
      'mutual TLS needs both NATS_TLS_CERT and NATS_TLS_KEY (only NATS_TLS_CERT is set)',
    );
    expect(() => build({ tlsCa: '/c/missing.pem' })).toThrow('NATS_TLS_CA=/c/missing.pem cannot be read');
  });

  it('names the flags when given them (the CLI)', () => {
    const names = {
      credsFile: '--creds',
      nkeySeed: '--nkey',
      user: '--user',
      password: '--password',
      token: '--token',
      tlsCa: '--tlsca',
      tlsCert: '--tlscert',
      tlsKey: '--tlskey',
      inboxPrefix: '--inbox-prefix',
    };
    expect(() => natsConnectionSecurity({ user: 'x' }, names, read)).toThrow('--user is set without --password');
  });

  it('passes an inbox prefix on and refuses wildcards in it', () => {
    expect(build({ inboxPrefix: '_INBOX_producer' }).options.inboxPrefix).toBe('_INBOX_producer');
    expect(() => build({ inboxPrefix: '_INBOX.>' })).toThrow(/NATS_INBOX_PREFIX=_INBOX.> must be subject tokens/);
  });
});
