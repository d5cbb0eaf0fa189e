import { fmtNum } from '../util/format';
import { PlacementDecision } from './types';
import { PlacementState } from './placement-state';

/** byDevice and changes against `current` for a finished placement. Deterministic order. */
export function placementOutput(
  st: PlacementState,
  current: Readonly<Record<string, readonly string[]>>,
  reason: string,
): PlacementDecision {
  const byDevice: Record<string, string[]> = {};
  for (let d = 0; d < st.nD; d++) byDevice[st.devs[d].id] = [];
  // Functions in name order, so each device's list comes out sorted.
  for (let f = 0; f < st.nF; f++) for (const d of st.replicas[f]) byDevice[st.devs[d].id].push(st.fns[f].name);

  const added: [string, string][] = [];
  const removed: [string, string][] = [];
  const devIds = Object.keys(current).sort(byCodeUnit);
  const had = new Set<string>();
  for (const dev of devIds) {
    const names = [...new Set(current[dev])].sort(byCodeUnit);
    const d = st.dIndex.get(dev);
    for (const name of names) {
      had.add(`${dev}\u0000${name}`);
      const f = st.fIndex.get(name);
      if (d === undefined || f === undefined || !st.isOn(f, d)) removed.push([name, dev]);
    }
  }
  for (let d = 0; d < st.nD; d++) {
    const dev = st.devs[d].id;
    for (const name of byDevice[dev]) if (!had.has(`${dev}\u0000${name}`)) added.push([name, dev]);
  }
  return { byDevice, changes: { added, removed }, reason, estimatedGoodput: st.goodput() };
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The placement's estimate in an operator's words: of the requests asked for (observed or expected
 * rates), how many per second its load model expects served within their SLOs.
 */
export function describeEstimate(goodput: number, demand: number): string {
  if (!(demand > 0)) return 'no requests asked for yet (no rate observed or expected)';
  return `the load model expects ${fmtNum(goodput)} of the ${fmtNum(demand)} req/s asked for to finish within their SLO (${fmtNum((100 * goodput) / demand)}%)`;
}
