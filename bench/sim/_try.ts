import { loadWorkload } from '../workload';
import { simulate } from './simulation';
import { totalsTable, goodputMatrix } from '../report';
const w = loadWorkload(process.argv[2]);
const pols = (process.argv[3] ?? 'epara,naive,static-batch,adaptive-batch').split(',') as any[];
const runs = [];
for (const p of pols) {
  const r = simulate(w, { policy: p, durationS: process.argv[4] ? Number(process.argv[4]) : undefined });
  console.log(p, 'wall', r.stats.wallMs.toFixed(0), 'ms events', r.stats.events, 'reqs', r.stats.requests, 'batches', r.stats.batches, 'mean batch', r.stats.meanBatchSize.toFixed(2), 'rounds', r.stats.placementRounds, 'placeMs', r.stats.placementMs.toFixed(0), 'loads', r.stats.modelLoads);
  console.log(JSON.stringify(r.stats.finalPlacement), JSON.stringify(r.stats.recategorizations.slice(0, 10)));
  runs.push(r.summary);
}
console.log(totalsTable(runs));
console.log(goodputMatrix(runs));
