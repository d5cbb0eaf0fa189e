#!/usr/bin/env node
// Epara across several "hosts" on one Linux machine, without Docker: network namespaces joined by veth
// pairs to a bridge, each with its own nats-server (docs/operations-scripts.md, "netns test bed").
//
//   node scripts/netns-bed.mjs up cluster   3 hosts, a 3-node NATS cluster with JetStream; gateway +
//                                           scheduler on h1, workers on h2 and h3
//   node scripts/netns-bed.mjs up edge      a hub (h1) and two sites (h2, h3) whose servers are leaf nodes
//   node scripts/netns-bed.mjs down         removes every bed (namespaces, links, their processes)
//
// `up` runs until Ctrl-C (or SIGTERM), then removes what it made. Needs root and iproute2; the apps run
// from dist/ (built first when the sources changed). The gateway's admin key: EPARA_ADMIN_KEY or
// .epara/credentials/admin.key (as npm start). The bed runs NATS without users (trusted namespaces only).
import { ensureBuild, runMain, ScriptError, step } from './lib/index.mjs';
import { ADMIN_KEY_PATH, ensureAdminKey } from './lib/api-key.mjs';
import { netnsUnavailableReason, sweepAllBeds, upCluster, upEdge } from './lib/netns.mjs';

const TOPOLOGIES = { cluster: upCluster, edge: upEdge };
const USAGE = 'use `up cluster`, `up edge` or `down`';

function printBed(bed, topology, admin) {
  const d = bed.describe();
  console.log(`\nnetns bed ${d.prefix} (${topology}) on ${d.subnet}; this machine is ${d.bridge.split(' ')[1]} on bridge ${bed.bridge}`);
  for (const h of d.hosts) console.log(`  ${h.name}  ${h.ip.padEnd(15)} namespace ${h.namespace}  NATS ${h.nats}  monitor ${h.monitor}`);
  console.log(`  gateway ${d.gateway}  (admin key ${admin.source === 'env' ? 'EPARA_ADMIN_KEY' : ADMIN_KEY_PATH})`);
  console.log(`  processes: ${d.processes.join(', ')}`);
  console.log('\ntry:');
  console.log(`  curl -H "Authorization: Bearer $KEY" ${d.gateway}/v1/devices`);
  console.log(`  ip link set ${d.hosts[1].namespace.replace('-', '')} down     # cut h2 off (up again to restore)`);
  console.log(`  ip netns exec ${d.hosts[1].namespace} bash     # a shell on h2`);
  console.log('Ctrl-C stops everything and removes the bed.\n');
}

runMain(async () => {
  const [command, topology] = process.argv.slice(2);
  const why = netnsUnavailableReason();
  if (why) throw new ScriptError(`the netns bed cannot run here: ${why}`);
  if (command === 'down') {
    const removed = sweepAllBeds();
    step(removed.length ? `removed ${removed.join(', ')}` : 'no bed to remove');
    return 0;
  }
  if (command !== 'up' || !TOPOLOGIES[topology])
    throw new ScriptError(`${[command, topology].filter(Boolean).join(' ') || 'no command'}: ${USAGE}`);
  ensureBuild();
  const admin = ensureAdminKey() ?? { key: undefined, source: 'none' };
  step(`building the ${topology} bed …`);
  const bed = await TOPOLOGIES[topology]({ appEnv: admin.key ? { EPARA_ADMIN_KEY: admin.key } : {} });
  printBed(bed, topology, admin);
  // Stays up until a signal; netns.mjs's handlers remove the bed on SIGINT and SIGTERM.
  await new Promise(() => {});
  return 0;
});
