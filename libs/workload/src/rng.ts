/**
 * Seeded randomness for workloads and the simulator: mulberry32 (Tommy Ettinger's 32-bit generator,
 * public domain; period 2^32, passes gjrand/PractRand for the stream lengths a benchmark uses) plus
 * the distributions arrival processes need. Same seed → same sequence on every platform.
 */
export class Rng {
  private state: number;
  private spareNormal = NaN;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in (0, 1]: safe under `Math.log`. */
  nextOpen(): number {
    return 1 - this.next();
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -Math.log(this.nextOpen()) * mean;
  }

  /** Standard normal (Marsaglia's polar method; the second value is kept for the next call). */
  normal(): number {
    if (!Number.isNaN(this.spareNormal)) {
      const z = this.spareNormal;
      this.spareNormal = NaN;
      return z;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.next() - 1;
      v = 2 * this.next() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * f;
    return u * f;
  }

  /**
   * Gamma with `shape` k > 0 and scale 1 (Marsaglia & Tsang, "A simple method for generating gamma
   * variables", ACM TOMS 2000; for k < 1 the boost Gamma(k) = Gamma(k + 1) · U^(1/k)).
   */
  gamma(shape: number): number {
    if (shape < 1) return this.gamma(shape + 1) * Math.pow(this.nextOpen(), 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const x = this.normal();
      let v = 1 + c * x;
      if (v <= 0) continue;
      v = v * v * v;
      const u = this.nextOpen();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/**
 * Derives a 32-bit seed from a base seed and labels (stream index, copy index, a purpose tag), so
 * that every stream has its own generator and adding a stream does not shift the others
 * (AlpaServe seeds each model's stream with its index the same way).
 */
export function deriveSeed(base: number, ...labels: (number | string)[]): number {
  let h = (base ^ 0x9e3779b9) >>> 0;
  const mix = (x: number): void => {
    h = Math.imul(h ^ x, 0x85ebca6b) >>> 0;
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h ^= h >>> 16;
  };
  for (const label of labels) {
    if (typeof label === 'number') mix(label >>> 0);
    else for (let i = 0; i < label.length; i++) mix(label.charCodeAt(i));
    mix(0x27d4eb2f);
  }
  return h >>> 0;
}
