/**
 * Time of one placement decision at scale (the scheduler issue's target: 1,000 functions on 100 devices
 * in ≤ 100 ms), and whether a repeat on the same input changes anything (stickiness).
 * Run: npm run bench:placement [-- --functions=1000 --devices=100 --rounds=20]
 */
import { DEFAULT_PLACEMENT_PARAMS, place, PlacementFunction } from '@epara/policy';
import { machineLine, parseArgs } from './lib/args';
import { markdownTable } from './lib/table';

const args = parseArgs();
const nFunctions = args.num('functions', 1000);
const nDevices = args.num('devices', 100);
const rounds = args.num('rounds', 20);

let seed = 11;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;

const functions: PlacementFunction[] = Array.from({ length: nFunctions }, (_, i) => {
  const exec1 = 0.2 + rand() * 30;
  return {
    name: `fn-${i}`,
    mode: rand() < 0.3 ? 'batch' : 'dp',
    memoryBytes: (2 + rand() * 60) * 1e6,
    loadMs: 100 + rand() * 900,
    execMsBatch1: exec1,
    bestThroughputPerMs: (1 / exec1) * (1 + rand() * 3),
    // Power-law rates, as in AlpaServe's workloads.
    rps: 400 * (i + 1) ** -0.5 * rand(),
    sloMs: 20 + rand() * 200,
  };
});
const devices = Array.from({ length: nDevices }, (_, i) => ({ id: `dev-${i}`, memoryBytes: 4e9, computeScale: 1, lost: false }));
const params = { ...DEFAULT_PLACEMENT_PARAMS, maxReplicasPerFunction: nDevices };

const time = (current: Record<string, string[]>) => {
  const t0 = performance.now();
  const d = place({ functions, devices, current, params });
  return { ms: performance.now() - t0, d };
};

const cold = time({});
const warm: number[] = [];
let last = cold.d;
for (let r = 0; r < rounds; r++) {
  const t = time({});
  warm.push(t.ms);
  last = t.d;
}
const repeat = time(last.byDevice);
warm.sort((a, b) => a - b);
const pick = (p: number) => warm[Math.min(warm.length - 1, Math.ceil((p / 100) * warm.length) - 1)];
console.log(`[bench:placement] ${machineLine()}\n`);
console.log(
  markdownTable(
    ['measure', 'value'],
    [
      ['functions × devices', `${nFunctions} × ${nDevices}`],
      ['first call (cold JIT), ms', cold.ms.toFixed(1)],
      [`from scratch, ${rounds} warm calls: p50 / max, ms`, `${pick(50).toFixed(1)} / ${warm[warm.length - 1].toFixed(1)}`],
      ['repeat on its own result (sticky), ms', repeat.ms.toFixed(1)],
      ['changes on the repeat (added + removed)', String(repeat.d.changes.added.length + repeat.d.changes.removed.length)],
      ['replicas placed', String(Object.values(last.byDevice).reduce((n, l) => n + l.length, 0))],
    ],
  ),
);
