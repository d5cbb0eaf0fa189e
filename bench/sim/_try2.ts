import { loadWorkload } from '../workload';
import { Simulation } from './simulation';
import { functionTable } from '../report';
const w = loadWorkload(process.argv[2]);
const runs = [];
for (const p of (process.argv[3] ?? 'epara,naive').split(',') as any[]) {
  const sim = new Simulation(w, { policy: p });
  const r = sim.run();
  console.log(p, sim.workers.map((x) => `${x.id}: ${[...x.placed.values()].map((q: any) => `${q.fn.name}/${q.mode}/${JSON.stringify(q.batching)}`).join(' ')}`).join('\n'));
  console.log(sim.scheduler.lastReason);
  runs.push(r.summary);
}
console.log(functionTable(runs));
