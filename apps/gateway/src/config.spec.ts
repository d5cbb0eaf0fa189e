import { loadGatewayConfig } from './config';

describe(loadGatewayConfig.name, () => {
  it('keeps the defaults when nothing is set', () => {
    const c = loadGatewayConfig({});
    expect(c).toMatchObject({
      port: 8080,
      maxModelBytes: 512 * 1024 * 1024,
      maxBodyBytes: 64 * 1024 * 1024,
      directReply: true,
      replyGraceMs: 250,
    });
    expect(c.callbackAllowList).toEqual([]);
  });

  it('reads booleans in any accepted spelling, numbers and the callback allow-list', () => {
    const c = loadGatewayConfig({
      EPARA_DIRECT_REPLY: 'Off',
      EPARA_MAX_MODEL_MB: '1',
      EPARA_CALLBACK_ALLOW_HOSTS: 'hooks.example.com, *.example.org:443',
    });
    expect(c.directReply).toBe(false);
    expect(c.maxModelBytes).toBe(1024 * 1024);
    expect(c.callbackAllowList.map((e) => e.text)).toEqual(['hooks.example.com', '*.example.org:443']);
    expect(loadGatewayConfig({ EPARA_DIRECT_REPLY: 'YES' }).directReply).toBe(true);
  });

  it('refuses to start on a typo, naming every bad variable, its value and what it accepts', () => {
    expect(() =>
      loadGatewayConfig({
        EPARA_DIRECT_REPLY: 'ture',
        EPARA_MAX_MODEL_MB: '12abc',
        EPARA_REPLY_GRACE_MS: '',
        EPARA_CALLBACK_ALLOW_HOSTS: 'http://x',
      }),
    ).toThrow(
      'invalid environment: ' +
        'EPARA_MAX_MODEL_MB="12abc" (EPARA_MAX_MODEL_MB must be an integer from 1 to 16384); ' +
        'EPARA_DIRECT_REPLY="ture" (EPARA_DIRECT_REPLY must be one of 1/true/on/yes/0/false/off/no (any case)); ' +
        'EPARA_REPLY_GRACE_MS="" (EPARA_REPLY_GRACE_MS must be an integer from 0 to 60000); ' +
        'EPARA_CALLBACK_ALLOW_HOSTS="http://x" (EPARA_CALLBACK_ALLOW_HOSTS: "http://x" is not a host, host:port, *.domain or *.domain:port entry (comma-separated, no scheme or path))',
    );
    expect(() => loadGatewayConfig({ EPARA_GATEWAY_PORT: 'NaN' })).toThrow('EPARA_GATEWAY_PORT must be an integer from 0 to 65535');
  });
});
