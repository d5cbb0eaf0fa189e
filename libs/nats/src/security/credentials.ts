/**
 * Generates the role users of Epara's NATS: one nkey per user (its seed in `<user>.nk`, 0600) and the
 * nats-server config include `auth.conf` (0600) that lists their public keys with their permissions.
 * Used by scripts/gen-credentials.mjs (and so npm start), the test support and the benchmarks.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createUser, fromSeed } from '@nats-io/nkeys';
import { randomBytes } from 'node:crypto';
import { inboxPrefixFor, MqttDeviceUser, NATS_ROLES, NATS_USER_PATTERN, NatsRole, NatsUser, renderAuthorization } from './nats-permissions';

export const AUTH_INCLUDE_FILE = 'auth.conf';
/** Users besides the one per role: more producers (each with its own inbox), e.g. one per device fleet. */
export interface CredentialOptions {
  /** Extra producer users, named like subject tokens. */
  producers?: readonly string[];
  /** MQTT devices: a user name (the `<client>` of their topics) and a generated password each. */
  mqttDevices?: readonly string[];
  /** Replace existing keys (rotation); otherwise existing seeds are kept and only missing ones made. */
  rotate?: boolean;
}

export interface UserCredential extends NatsUser {
  /** The nkey seed file: `NATS_NKEY_SEED`, `nats --nkey`, `epara --nkey`. */
  seedFile: string;
  inboxPrefix: string;
}

export interface CredentialSet {
  dir: string;
  /** The nats-server config include (`include "<path>"`). */
  authInclude: string;
  users: UserCredential[];
  /** MQTT devices, each with its password (also in `<name>.mqtt-password`, 0600). */
  mqttDevices: (MqttDeviceUser & { passwordFile: string })[];
  /** The user `name` (a role name is its role's default user). */
  user(name: string): UserCredential;
  /** What an app or client started with this user's credential needs in its environment. */
  env(name: string): Record<string, string>;
}

function writePrivate(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600); // an existing file keeps its mode on write
}

function readSeed(path: string): string {
  const seed = readFileSync(path, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .find((l) => /^SU[A-Z2-7]{56}$/.test(l));
  if (!seed) throw new Error(`${path} holds no nkey user seed (a line SU…): delete it, or rotate with --rotate`);
  return seed;
}

/** Writes (or completes) the credentials under `dir`, e.g. `.epara/credentials`. */
export function writeCredentials(dir: string, o: CredentialOptions = {}): CredentialSet {
  const root = resolve(dir);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  chmodSync(root, 0o700);
  const wanted: { name: string; role: NatsRole }[] = [
    ...NATS_ROLES.map((role) => ({ name: role as string, role })),
    ...(o.producers ?? []).map((name) => ({ name, role: NatsRole.Producer })),
  ];
  const users: UserCredential[] = wanted.map(({ name, role }) => {
    if (!NATS_USER_PATTERN.test(name)) throw new Error(`invalid NATS user name ${JSON.stringify(name)}: use a-z, 0-9, '-' and '_'`);
    const seedFile = join(root, `${name}.nk`);
    let seed: string;
    if (!o.rotate && existsSync(seedFile)) seed = readSeed(seedFile);
    else {
      seed = new TextDecoder().decode(createUser().getSeed());
      writePrivate(seedFile, `${seed}\n`);
    }
    const nkey = fromSeed(new TextEncoder().encode(seed)).getPublicKey();
    return { name, role, nkey, seedFile, inboxPrefix: inboxPrefixFor(name) };
  });
  const mqttDevices = (o.mqttDevices ?? []).map((name) => {
    if (!NATS_USER_PATTERN.test(name)) throw new Error(`invalid MQTT device name ${JSON.stringify(name)}: use a-z, 0-9, '-' and '_'`);
    const passwordFile = join(root, `${name}.mqtt-password`);
    let password = !o.rotate && existsSync(passwordFile) ? readFileSync(passwordFile, 'utf8').trim() : '';
    if (!password) {
      password = randomBytes(24).toString('base64url');
      writePrivate(passwordFile, `${password}\n`);
    }
    return { name, password, passwordFile };
  });
  const authInclude = join(root, AUTH_INCLUDE_FILE);
  writePrivate(authInclude, renderAuthorization(users, mqttDevices));
  const user = (name: string) => {
    const u = users.find((x) => x.name === name);
    if (!u) throw new Error(`no NATS user ${name} in ${root} (users: ${users.map((x) => x.name).join(', ')})`);
    return u;
  };
  return {
    dir: root,
    authInclude,
    users,
    mqttDevices,
    user,
    env: (name) => {
      const u = user(name);
      return { NATS_NKEY_SEED: u.seedFile, NATS_INBOX_PREFIX: u.inboxPrefix };
    },
  };
}
