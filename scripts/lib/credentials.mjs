// Epara's NATS role users (nkeys) and the nats-server config include listing them with their
// permissions. The permission table and the writer live in libs/nats (src/security), compiled into dist/:
// this runs the compiled writer, so the script, the apps and the tests share one table.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { ScriptError } from './log.mjs';
import { fromRoot } from './paths.mjs';

export const CREDENTIALS_DIR = fromRoot('.epara', 'credentials');

function compiledCredentialsModule() {
  const path = fromRoot('dist', 'apps', 'gateway', 'libs', 'nats', 'src', 'security', 'credentials.js');
  if (!existsSync(path)) throw new ScriptError(`${path} is missing: build first (npm run build)`);
  return createRequire(import.meta.url)(path);
}

/**
 * Writes (or keeps) the credentials under `dir`: `<user>.nk` seeds and `auth.conf`, all 0600. Existing
 * seeds are kept unless `rotate`. Returns the credential set (users, env(name), authInclude).
 */
/** The MQTT device user npm start makes, so the MQTT ingress can be tried with authorization on. */
export const DEMO_MQTT_DEVICE = 'mqtt-demo';

export function ensureCredentials({ dir = CREDENTIALS_DIR, rotate = false, producers = [], mqttDevices = [DEMO_MQTT_DEVICE] } = {}) {
  return compiledCredentialsModule().writeCredentials(dir, { rotate, producers, mqttDevices });
}
