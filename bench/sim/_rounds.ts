import { loadWorkload } from '../workload';
import { Simulation } from './simulation';
const w = loadWorkload(process.argv[2]);
const sim = new Simulation(w, { policy: (process.argv[3] ?? 'epara') as any, durationS: Number(process.argv[4] ?? 60) });
const r = sim.run();
console.log('rounds', r.stats.placementRounds, 'placeMs', r.stats.placementMs.toFixed(0), 'recats', r.stats.recategorizations.length, 'loads', r.stats.modelLoads);
let reps = 0; const hist: Record<number, number> = {};
for (const [k, v] of Object.entries(r.stats.finalPlacement)) { reps += v.replicas; hist[v.replicas] = (hist[v.replicas] ?? 0) + 1; }
console.log('replicas total', reps, 'hist', JSON.stringify(hist));
console.log('slots per device', sim.workers.map((x) => x.placed.size).join(','));
console.log(sim.scheduler.lastReason.slice(0, 400));
console.log(r.stats.recategorizations.slice(0, 20).map((x) => `${x.atS.toFixed(1)} ${x.fn} ${x.from} -> ${x.to}`).join('\n'));
