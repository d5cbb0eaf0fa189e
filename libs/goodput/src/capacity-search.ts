/**
 * Goodput the way serving papers report it (DistServe, MLPerf Server, AlpaServe): the highest rate
 * scale of a workload at which total SLO attainment stays at or above a target (99%, 90%), searched over
 * a multiplier on the same trace shape. Pure: `evaluate` runs the workload at a scale (the simulator or
 * a live replay) and says what it attained.
 */

/** What one run at a rate scale attained. */
export interface ScalePoint {
  scale: number;
  /** Good ÷ offered over all functions (drops, refusals and timeouts count as misses). */
  attainment: number;
  /** The lowest per-function attainment of the run, and whose. */
  minFunctionAttainment: number;
  minFunction: string;
}

export interface CapacitySearchOptions {
  /** Where the search starts. Default 1 (the workload as written). */
  start?: number;
  /** Stop when the bracket [pass, fail] is narrower than this fraction of `pass`. Default 0.05. */
  relativeTolerance?: number;
  /** Largest scale tried. Default 1024. */
  maxScale?: number;
  /** Smallest scale tried. Default 1/1024. */
  minScale?: number;
}

export interface CapacityResult {
  target: number;
  /** The highest scale found that met the target; undefined when even `minScale` missed it. */
  best?: ScalePoint;
  /** The lowest scale found that missed it; undefined when even `maxScale` met it. */
  firstMiss?: ScalePoint;
  /** Every run made, in the order made. */
  points: ScalePoint[];
}

/**
 * Doubles (or halves) from `start` until the target is met at one scale and missed at the next, then
 * bisects (geometrically) to the tolerance. Assumes attainment falls as the rate grows; on a workload
 * where it does not, the answer is one scale that met the target next to one that missed it.
 */
export function searchCapacity(evaluate: (scale: number) => ScalePoint, target: number, o: CapacitySearchOptions = {}): CapacityResult {
  if (!(target > 0 && target <= 1)) throw new RangeError(`searchCapacity: target ${target}, expected (0, 1]`);
  const tol = o.relativeTolerance ?? 0.05;
  const maxScale = o.maxScale ?? 1024;
  const minScale = o.minScale ?? 1 / 1024;
  const points: ScalePoint[] = [];
  const cache = new Map<number, ScalePoint>();
  // The point carries the scale asked for, whatever `evaluate` wrote there: the search walks on it.
  const run = (scale: number): ScalePoint => {
    let p = cache.get(scale);
    if (!p) {
      p = { ...evaluate(scale), scale };
      cache.set(scale, p);
      points.push(p);
    }
    return p;
  };
  const meets = (p: ScalePoint) => p.attainment >= target;

  let pass: ScalePoint | undefined;
  let fail: ScalePoint | undefined;
  const first = run(o.start ?? 1);
  if (meets(first)) {
    pass = first;
    while (pass.scale * 2 <= maxScale) {
      const next = run(pass.scale * 2);
      if (!meets(next)) {
        fail = next;
        break;
      }
      pass = next;
    }
  } else {
    fail = first;
    while (fail.scale / 2 >= minScale) {
      const next = run(fail.scale / 2);
      if (meets(next)) {
        pass = next;
        break;
      }
      fail = next;
    }
  }
  while (pass && fail && fail.scale - pass.scale > tol * pass.scale) {
    const mid = Math.sqrt(pass.scale * fail.scale);
    const p = run(mid);
    if (meets(p)) pass = p;
    else fail = p;
  }
  return { target, best: pass, firstMiss: fail, points };
}
