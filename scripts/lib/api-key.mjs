// The gateway's admin API key for `npm start`: made once, kept in .epara/credentials/admin.key (mode 0600,
// git-ignored with .epara/), handed to the gateway as EPARA_ADMIN_KEY. README "Security".
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ScriptError, step, warn } from './log.mjs';
import { fromRoot } from './paths.mjs';

/** Relative to the repository root, as the banner's commands and the CLI's fallback name it. */
export const ADMIN_KEY_PATH = '.epara/credentials/admin.key';
/** The gateway's shortest accepted EPARA_ADMIN_KEY (apps/gateway/src/config.ts). */
const MIN_LENGTH = 24;

/** `EPARA_AUTH=off`: the gateway checks no keys. */
export const authOff = () => process.env.EPARA_AUTH === 'off';

/**
 * The admin key and where it is: EPARA_ADMIN_KEY when set, else the key file, created with a fresh
 * random key (`epk_` + 32 bytes, base64url) on the first run. Undefined with EPARA_AUTH=off.
 */
export function ensureAdminKey() {
  if (authOff()) return undefined;
  const fromEnv = process.env.EPARA_ADMIN_KEY?.trim();
  if (fromEnv) return { key: fromEnv, source: 'env' };
  const file = fromRoot(ADMIN_KEY_PATH);
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const key = `epk_${randomBytes(32).toString('base64url')}`;
    writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
    step(`created the gateway's admin API key in ${ADMIN_KEY_PATH} (mode 0600; only npm start and you read it)`);
    return { key, source: 'file' };
  }
  // Others may read it if it was copied around: the key opens every route, so it is tightened, not trusted as is.
  if ((statSync(file).mode & 0o077) !== 0) {
    chmodSync(file, 0o600);
    warn(`${ADMIN_KEY_PATH} was readable by other users: set it to mode 0600`);
  }
  const key = readFileSync(file, 'utf8').trim();
  if (key.length < MIN_LENGTH)
    throw new ScriptError(
      `${ADMIN_KEY_PATH} holds no usable key (under ${MIN_LENGTH} characters): delete it and npm start makes a new one`,
    );
  return { key, source: 'file' };
}

/** Headers for the script's own calls to the gateway (demo deploys). */
export const authHeaders = (admin) => (admin ? { Authorization: `Bearer ${admin.key}` } : {});

/** How a shell command in the banner sends the key. */
export function curlAuthOption(admin) {
  if (!admin) return '';
  return admin.source === 'env' ? ' -H "Authorization: Bearer $EPARA_ADMIN_KEY"' : ` -H "Authorization: Bearer $(cat ${ADMIN_KEY_PATH})"`;
}
