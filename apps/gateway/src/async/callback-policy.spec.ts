import { EparaError } from '@epara/contracts';
import { addressRefusal, checkCallbackUrl, isNonPublicAddress, parseCallbackAllowList } from './callback-policy';
import { CallbackSender, ResolveAll } from './callback-sender';

const allow = (raw: string) => parseCallbackAllowList('EPARA_CALLBACK_ALLOW_HOSTS', raw);

/** The message a refusal carries (400), or 'ok'. */
function verdict(url: string, raw: string): string {
  try {
    checkCallbackUrl(url, allow(raw));
    return 'ok';
  } catch (e) {
    expect(e).toBeInstanceOf(EparaError);
    expect((e as EparaError).code).toBe(400);
    return (e as EparaError).message;
  }
}

describe(parseCallbackAllowList.name, () => {
  it('reads hosts, ports, wildcards and IPv6, normalized as URLs spell hosts', () => {
    expect(allow(' Hooks.Example.com , 10.0.0.5:8080,*.example.org:443, [::1]:9000,,')).toEqual([
      { host: 'hooks.example.com', wildcard: false, text: 'Hooks.Example.com' },
      { host: '10.0.0.5', wildcard: false, port: 8080, text: '10.0.0.5:8080' },
      { host: 'example.org', wildcard: true, port: 443, text: '*.example.org:443' },
      { host: '[::1]', wildcard: false, port: 9000, text: '[::1]:9000' },
    ]);
    expect(allow('')).toEqual([]);
  });

  it.each([
    'http://hooks.example.com',
    'hooks.example.com/path',
    '*',
    '*.',
    'a*.example.com',
    'host:0',
    'host:70000',
    'host:x',
    '*.10.0.0.1',
    'user@host',
  ])('%j throws naming the variable and the entry', (entry) => {
    expect(() => allow(entry)).toThrow(`EPARA_CALLBACK_ALLOW_HOSTS: "${entry}" is not a host, host:port, *.domain or *.domain:port entry`);
  });
});

describe(checkCallbackUrl.name, () => {
  it.each([
    ['https://hooks.example.com/done', 'hooks.example.com'],
    ['http://hooks.example.com:8080/done', 'hooks.example.com:8080'],
    ['https://a.b.example.com/x', '*.example.com'],
    ['https://a.example.com/x', '*.example.com:443'],
    ['http://127.0.0.1:18999/hook', '127.0.0.1:18999'],
    ['http://[::1]:9000/hook', '[::1]'],
  ])('%s is allowed by %j', (url, list) => expect(verdict(url, list)).toBe('ok'));

  it.each([
    ['file:///etc/passwd', 'hooks.example.com', 'only http: and https: callbacks are allowed, not file:'],
    ['gopher://hooks.example.com/', 'hooks.example.com', 'not gopher:'],
    ['not a url', 'hooks.example.com', '"not a url" is not an absolute URL'],
    ['https://hooks.example.com/', '', 'callbacks are off on this gateway (EPARA_CALLBACK_ALLOW_HOSTS is empty)'],
    ['http://127.0.0.1:18999/internal/admin', 'hooks.example.com', 'host 127.0.0.1:18999 is not in EPARA_CALLBACK_ALLOW_HOSTS'],
    ['http://127.0.0.1:18999/internal/admin', '127.0.0.1:8080', 'host 127.0.0.1:18999 is not in'],
    ['http://2130706433/', 'hooks.example.com', 'host 127.0.0.1:80 is not in'],
    ['http://[::ffff:127.0.0.1]/', '*.example.com', 'host [::ffff:7f00:1]:80 is not in'],
    ['http://169.254.169.254/latest/meta-data', '*.example.com', 'host 169.254.169.254:80 is not in'],
    ['https://example.com/', '*.example.com', 'host example.com:443 is not in'],
    ['https://evil-example.com/', '*.example.com', 'not in'],
    ['https://hooks.example.com.evil.net/', 'hooks.example.com', 'not in'],
    ['http://hooks.example.com/', 'hooks.example.com:443', 'host hooks.example.com:80 is not in'],
    [`https://hooks.example.com/${'a'.repeat(2100)}`, 'hooks.example.com', 'longer than 2048 characters'],
  ])('%s with %j → 400: %s', (url, list, message) => {
    const m = verdict(url, list);
    expect(m).toMatch(/^X-Callback-Url refused: /);
    expect(m).toContain(message);
  });
});

describe(addressRefusal.name, () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '0.0.0.0',
    '100.64.0.1',
    '::1',
    '::',
    'fe80::1',
    'fd00::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
  ])('%s is not public', (a) => expect(isNonPublicAddress(a)).toBe(true));
  it.each(['93.184.216.34', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8'])('%s is public', (a) =>
    expect(isNonPublicAddress(a)).toBe(false),
  );

  const list = allow('*.example.com, hooks.internal, 10.0.0.7');
  const target = (url: string) => checkCallbackUrl(url, list);

  it('lets a wildcard name through to public addresses only', () => {
    expect(addressRefusal(target('https://a.example.com/'), '93.184.216.34', list)).toBeUndefined();
    expect(addressRefusal(target('https://a.example.com/'), '127.0.0.1', list)).toBe(
      'a.example.com resolves to 127.0.0.1, a loopback, private or link-local address; list that host or address exactly in EPARA_CALLBACK_ALLOW_HOSTS to allow it',
    );
    expect(addressRefusal(target('https://a.example.com/'), 'fe80::1', list)).toContain('resolves to fe80::1');
  });

  it('lets a name listed exactly, or a listed address, reach a private address', () => {
    expect(addressRefusal(target('http://hooks.internal:8080/'), '10.0.0.5', list)).toBeUndefined();
    expect(addressRefusal(target('https://b.example.com/'), '10.0.0.7', list)).toBeUndefined();
  });
});

describe(CallbackSender.name, () => {
  const dns =
    (table: Record<string, string[]>): ResolveAll =>
    async (host) => {
      const addresses = table[host];
      if (!addresses) throw new Error(`getaddrinfo ENOTFOUND ${host}`);
      return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    };
  const sender = new CallbackSender(
    allow('*.example.com'),
    dns({ 'ok.example.com': ['93.184.216.34'], 'sneaky.example.com': ['93.184.216.34', '127.0.0.1'] }),
  );

  it('checks every address the name resolves to, at request time', async () => {
    await expect(sender.check('https://ok.example.com/done')).resolves.toBe('https://ok.example.com/done');
    await expect(sender.check('https://sneaky.example.com/done')).rejects.toThrow('sneaky.example.com resolves to 127.0.0.1');
    await expect(sender.check('https://gone.example.com/done')).rejects.toThrow(
      'X-Callback-Url refused: gone.example.com does not resolve (getaddrinfo ENOTFOUND gone.example.com)',
    );
  });

  it('refuses at send time too, before connecting', async () => {
    await expect(sender.post('https://sneaky.example.com/done', '{}')).rejects.toThrow('resolves to 127.0.0.1');
  });
});
