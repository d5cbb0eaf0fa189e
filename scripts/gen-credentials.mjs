#!/usr/bin/env node
// Writes Epara's NATS role users: one nkey seed per user (.epara/credentials/<user>.nk, 0600) and the
// nats-server config include with their permissions (.epara/credentials/auth.conf, 0600). npm start runs
// it on first start; rotate by running it with --rotate and restarting nats-server and the apps.
//
//   node scripts/gen-credentials.mjs [--dir DIR] [--producer NAME]... [--mqtt-device NAME]... [--rotate]
//
// Users: gateway, worker, scheduler, operator, producer (one per role), plus each --producer NAME, and
// MQTT devices (user name + password: MQTT cannot use nkeys): mqtt-demo and each --mqtt-device NAME.
import { ensureBuild, runMain, ScriptError, step } from './lib/index.mjs';
import { CREDENTIALS_DIR, DEMO_MQTT_DEVICE, ensureCredentials } from './lib/credentials.mjs';

function parse(argv) {
  const o = { dir: CREDENTIALS_DIR, rotate: false, producers: [], mqttDevices: [DEMO_MQTT_DEVICE] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--rotate') o.rotate = true;
    else if (argv[i] === '--dir' && argv[i + 1]) o.dir = argv[++i];
    else if (argv[i] === '--producer' && argv[i + 1]) o.producers.push(argv[++i]);
    else if (argv[i] === '--mqtt-device' && argv[i + 1]) o.mqttDevices.push(argv[++i]);
    else throw new ScriptError(`unknown argument ${argv[i]}: use [--dir DIR] [--producer NAME]... [--mqtt-device NAME]... [--rotate]`);
  }
  return o;
}

runMain(async () => {
  const o = parse(process.argv.slice(2));
  ensureBuild();
  const set = ensureCredentials(o);
  step(`${o.rotate ? 'rotated' : 'wrote'} NATS credentials in ${set.dir} (server include ${set.authInclude}):`);
  for (const u of set.users) console.log(`  ${u.name.padEnd(10)} role ${u.role.padEnd(9)} ${u.seedFile}  inbox prefix ${u.inboxPrefix}`);
  for (const d of set.mqttDevices) console.log(`  ${d.name.padEnd(10)} MQTT device    password in ${d.passwordFile}`);
  if (o.rotate) step('restart nats-server and the apps (npm start) to use the new keys: the old ones stop working at the restart');
  return 0;
});
