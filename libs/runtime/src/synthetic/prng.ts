/**
 * 32-bit integer multiply, bit-identical to `Math.imul`. Written out because inside jest's vm
 * context `Math.imul` is not inlined and generating a 1.6 MB model took 300 ms instead of 10 ms.
 */
function imul32(a: number, b: number): number {
  const aLow = a & 0xffff;
  const bLow = b & 0xffff;
  return (aLow * bLow + ((((a >>> 16) * bLow + aLow * (b >>> 16)) << 16) >>> 0)) | 0;
}

/**
 * mulberry32: a tiny 32-bit seeded PRNG. Synthetic model weights come from it so that the same seed
 * always yields byte-identical models (tests and benchmarks compare runs across machines).
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = imul32(t ^ (t >>> 15), t | 1);
    t ^= t + imul32(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` values uniform in [-scale, scale). */
export function uniform(random: () => number, n: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (random() * 2 - 1) * scale;
  return out;
}
