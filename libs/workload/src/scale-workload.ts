import type { ArrivalSpec, Workload } from './types';

/**
 * The same workload at `k` times its request rate: every stream's rate is multiplied (a periodic or
 * on/off frame source sends `k` times as often while on), its shape — burstiness, on/off periods,
 * load steps, active windows — is kept. What a rate sweep varies.
 */
export function scaleRates(w: Workload, k: number): Workload {
  if (!(k > 0) || !Number.isFinite(k)) throw new RangeError(`scaleRates: factor ${k}, expected a finite number > 0`);
  return { ...w, name: `${w.name}×${fmtFactor(k)}`, streams: w.streams.map((s) => ({ ...s, arrival: scaleArrival(s.arrival, k) })) };
}

/** The same workload with every function's latency SLO multiplied by `s` (an SLO-scale sweep). */
export function scaleSlos(w: Workload, s: number): Workload {
  if (!(s > 0) || !Number.isFinite(s)) throw new RangeError(`scaleSlos: factor ${s}, expected a finite number > 0`);
  return { ...w, name: `${w.name}@slo×${fmtFactor(s)}`, functions: w.functions.map((f) => ({ ...f, sloMs: f.sloMs * s })) };
}

function scaleArrival(a: ArrivalSpec, k: number): ArrivalSpec {
  switch (a.kind) {
    case 'poisson':
      return { ...a, rate: a.rate * k };
    case 'gamma':
    case 'piecewise':
      return { ...a, rate: a.rate * k };
    case 'periodic':
      return { ...a, periodMs: a.periodMs / k, phaseMs: typeof a.phaseMs === 'number' ? a.phaseMs / k : a.phaseMs };
    case 'onoff':
      if (a.rate !== undefined) return { ...a, rate: a.rate * k };
      return a.periodMs !== undefined ? { ...a, periodMs: a.periodMs / k } : a;
    case 'step':
      return { ...a, base: a.base * k };
  }
}

const fmtFactor = (k: number) => String(Math.round(k * 1000) / 1000);
