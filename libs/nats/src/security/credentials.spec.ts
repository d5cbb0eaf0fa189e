import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NATS_ROLES } from './nats-permissions';
import { writeCredentials } from './credentials';

describe('writeCredentials', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'epara-creds-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes one nkey seed per role and producer, and the server include, readable by the owner only', () => {
    const set = writeCredentials(dir, { producers: ['camera-2'] });
    expect(set.users.map((u) => u.name)).toEqual([...NATS_ROLES, 'camera-2']);
    for (const u of set.users) {
      expect(readFileSync(u.seedFile, 'utf8')).toMatch(/^SU[A-Z2-7]{56}\n$/);
      expect(statSync(u.seedFile).mode & 0o777).toBe(0o600);
      expect(readFileSync(set.authInclude, 'utf8')).toContain(`nkey: "${u.nkey}"`);
    }
    expect(statSync(set.authInclude).mode & 0o777).toBe(0o600);
    expect(set.user('camera-2')).toMatchObject({ role: 'producer', inboxPrefix: '_INBOX_camera-2' });
    expect(set.env('worker')).toEqual({ NATS_NKEY_SEED: join(dir, 'worker.nk'), NATS_INBOX_PREFIX: '_INBOX_worker' });
  });

  it('keeps existing keys, and makes new ones when rotating', () => {
    const first = writeCredentials(dir).users.map((u) => u.nkey);
    expect(writeCredentials(dir).users.map((u) => u.nkey)).toEqual(first);
    const rotated = writeCredentials(dir, { rotate: true }).users.map((u) => u.nkey);
    expect(rotated.some((k, i) => k === first[i])).toBe(false);
  });

  it('names an unknown user', () => {
    expect(() => writeCredentials(dir).user('nobody')).toThrow(/no NATS user nobody/);
  });
});
