import { fmtList } from '../util/format';
import { describeEstimate, placementOutput } from './placement-output';
import { PlacementState } from './placement-state';
import { DEFAULT_PLACEMENT_PARAMS, PlacementDecision, PlacementDevice, PlacementFunction } from './types';

/**
 * The foundation placement: every function on every live device where it fits, functions in name
 * order per device. No load model behind the choice; goodput is estimated with the same model as
 * `place` (default headroom) so the two can be compared.
 */
export function simplePlacement(
  functions: readonly PlacementFunction[],
  devices: readonly PlacementDevice[],
  current: Readonly<Record<string, readonly string[]>> = {},
): PlacementDecision {
  const st = new PlacementState(functions, devices, DEFAULT_PLACEMENT_PARAMS.headroom);
  for (let d = 0; d < st.nD; d++) {
    if (!st.live[d]) continue;
    for (let f = 0; f < st.nF; f++) if (st.memFree[d] >= st.mem[f]) st.add(f, d);
  }
  const unplaced: string[] = [];
  let replicas = 0;
  for (let f = 0; f < st.nF; f++) {
    replicas += st.replicas[f].length;
    if (st.replicas[f].length === 0) unplaced.push(st.fns[f].name);
  }
  const out = placementOutput(st, current, '');
  out.reason =
    `simple placement: every function on every live device where it fits; ${replicas} replicas; ` +
    describeEstimate(out.estimatedGoodput, st.demand()) +
    (unplaced.length ? `; unplaced (fits no device): ${fmtList(unplaced)}` : '');
  return out;
}
