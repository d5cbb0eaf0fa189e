import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importEsm } from '../../test/support/esm';

/** Plain ESM, as every script (they run before any build). */
const load = () => importEsm<any>(join(__dirname, 'os-packages.mjs'));

describe('finding the OS binaries the platform and its tests need', () => {
  let dir: string;
  const browser = { names: ['epara-test-browser', 'epara-test-browser-alt'], envVar: 'EPARA_TEST_BROWSER_BIN' };
  const executable = (name: string, mode = 0o755) => {
    const path = join(dir, name);
    writeFileSync(path, '#!/bin/sh\n');
    chmodSync(path, mode);
    return path;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'epara-os-packages-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('takes the first of the names found on PATH, skipping files that are not executable', async () => {
    const { findBinary } = await load();
    executable('epara-test-browser', 0o644);
    const alt = executable('epara-test-browser-alt');

    expect(findBinary(browser, { PATH: dir })).toBe(alt);
  });

  it('prefers the variable that names the binary, and refuses one that names no executable file', async () => {
    const { findBinary } = await load();
    const named = executable('somewhere-else');

    expect(findBinary(browser, { PATH: '', EPARA_TEST_BROWSER_BIN: named })).toBe(named);
    expect(() => findBinary(browser, { PATH: '', EPARA_TEST_BROWSER_BIN: join(dir, 'missing') })).toThrow(
      `EPARA_TEST_BROWSER_BIN=${join(dir, 'missing')} is not an executable file; fix or unset it`,
    );
  });

  it('finds nothing when no name is anywhere (the caller installs it or says how)', async () => {
    const { findBinary } = await load();

    expect(findBinary(browser, { PATH: dir })).toBeUndefined();
  });

  it('looks for Chromium under the names Debian and Ubuntu give it', async () => {
    const { CHROMIUM } = await load();

    expect(CHROMIUM).toMatchObject({ names: ['chromium', 'chromium-browser'], envVar: 'CHROMIUM_BIN', aptPackage: 'chromium' });
  });
});
