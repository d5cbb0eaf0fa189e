import { loadWorkload } from '../workload';
import { simulate } from './simulation';
const w = loadWorkload(process.argv[2]);
const p = (process.argv[3] ?? 'epara') as any;
const dur = Number(process.argv[4] ?? 300);
for (let i = 0; i < Number(process.argv[5] ?? 3); i++) {
  const r = simulate(w, { policy: p, durationS: dur, devices: process.argv[6] ? Number(process.argv[6]) : undefined });
  console.log(p, "wall", r.stats.wallMs.toFixed(0), "cpu", r.stats.cpuMs.toFixed(0), "ms events", r.stats.events, 'reqs', r.stats.requests, 'us/req', (1000 * r.stats.wallMs / r.stats.requests).toFixed(2), 'us/event', (1000 * r.stats.wallMs / r.stats.events).toFixed(2), 'placeMs', r.stats.placementMs.toFixed(0), 'goodput', r.summary.total.goodput.toFixed(1));
}
