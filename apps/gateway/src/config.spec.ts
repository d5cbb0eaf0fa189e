import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  describe('the admin key', () => {
    const key = 'epk_' + 'k'.repeat(43);
    let dir: string;
    beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'epara-admin-key-'))));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const keyFile = (name: string, text: string) => {
      const path = join(dir, name);
      writeFileSync(path, text, { mode: 0o600 });
      return path;
    };

    it('comes from EPARA_ADMIN_KEY, or from the file EPARA_ADMIN_KEY_FILE names (a container secret), trimmed', () => {
      expect(loadGatewayConfig({ EPARA_ADMIN_KEY: ` ${key} ` }).adminKey).toBe(key);
      expect(loadGatewayConfig({ EPARA_ADMIN_KEY_FILE: keyFile('admin.key', `${key}\n`) }).adminKey).toBe(key);
      expect(loadGatewayConfig({ EPARA_ADMIN_KEY: '', EPARA_ADMIN_KEY_FILE: '' }).adminKey).toBeUndefined();
    });

    it('refuses both at once, a missing or empty file and a short key, without repeating the key', () => {
      const path = keyFile('both.key', key);
      expect(() => loadGatewayConfig({ EPARA_ADMIN_KEY: key, EPARA_ADMIN_KEY_FILE: path })).toThrow(
        'set EPARA_ADMIN_KEY or EPARA_ADMIN_KEY_FILE, not both',
      );
      const missing = join(dir, 'missing.key');
      expect(() => loadGatewayConfig({ EPARA_ADMIN_KEY_FILE: missing })).toThrow(`EPARA_ADMIN_KEY_FILE=${missing} cannot be read: ENOENT`);
      const empty = keyFile('empty.key', '\n');
      expect(() => loadGatewayConfig({ EPARA_ADMIN_KEY_FILE: empty })).toThrow(`EPARA_ADMIN_KEY_FILE=${empty} is empty`);
      const short = keyFile('short.key', 'short-secret\n');
      expect(() => loadGatewayConfig({ EPARA_ADMIN_KEY_FILE: short })).toThrow(
        `EPARA_ADMIN_KEY_FILE=${short} holds a key of 12 characters: use at least 24`,
      );
      expect(() => loadGatewayConfig({ EPARA_ADMIN_KEY: 'short-secret' })).toThrow('EPARA_ADMIN_KEY holds a key of 12 characters');
      expect(() => loadGatewayConfig({ EPARA_ADMIN_KEY: 'short-secret' })).not.toThrow(/short-secret/);
    });
  });
});
