/** Builders shared by the placement specs (outside src/, so the library build leaves them out). */
import { PlacementDevice, PlacementFunction, PlacementInput, PlacementParams } from '../src/placement/types';

export const GB = 1e9;

/** A dp function: 1 GB, 10 ms at batch 1 (≈ 80 rps per reference device at 0.8 headroom), 10 rps. */
export function fn(name: string, over: Partial<PlacementFunction> = {}): PlacementFunction {
  return { name, mode: 'dp', memoryBytes: GB, loadMs: 500, execMsBatch1: 10, bestThroughputPerMs: 0.1, rps: 10, sloMs: 100, ...over };
}

export function dev(id: string, over: Partial<PlacementDevice> = {}): PlacementDevice {
  return { id, memoryBytes: 8 * GB, computeScale: 1, lost: false, ...over };
}

export const params: PlacementParams = { moveCostWeight: 0.001, maxReplicasPerFunction: 8, headroom: 0.8 };

export function input(over: Partial<PlacementInput>): PlacementInput {
  return { functions: [], devices: [], current: {}, params, ...over };
}

/** Small deterministic LCG. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** A mixed cluster: functions of varied size, speed and load; devices of varied memory and speed. */
export function randomCluster(nF: number, nD: number, seed: number): { functions: PlacementFunction[]; devices: PlacementDevice[] } {
  const r = seeded(seed);
  const functions = Array.from({ length: nF }, (_, i) => {
    const exec = 1 + r() * 30;
    const batch = r() < 0.4;
    return fn(`f${String(i).padStart(4, '0')}`, {
      mode: batch ? 'batch' : 'dp',
      memoryBytes: (0.1 + r() * 3) * GB,
      loadMs: 100 + r() * 2000,
      execMsBatch1: exec,
      bestThroughputPerMs: (batch ? 2 + r() * 4 : 1) / exec,
      rps: r() < 0.3 ? 0 : r() * r() * 2000,
      sloMs: exec * (2 + r() * 20),
    });
  });
  const devices = Array.from({ length: nD }, (_, i) =>
    dev(`d${String(i).padStart(3, '0')}`, { memoryBytes: (4 + Math.floor(r() * 4) * 8) * GB, computeScale: 0.5 + r() * 2 }),
  );
  return { functions, devices };
}

/** Memory used per device by a placement. */
export function memoryUsed(byDevice: Record<string, string[]>, functions: readonly PlacementFunction[]): Record<string, number> {
  const mem = new Map(functions.map((f) => [f.name, f.memoryBytes]));
  const out: Record<string, number> = {};
  for (const [d, names] of Object.entries(byDevice)) out[d] = names.reduce((s, n) => s + (mem.get(n) ?? 0), 0);
  return out;
}
