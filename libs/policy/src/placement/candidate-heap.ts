/**
 * Max-heap of (gain, function index, device index) in parallel typed arrays: placement pushes up to
 * functions × devices candidates, so no object per entry. Order: higher gain first, then lower
 * function index, then lower device index (indices follow name order, so ties break by name).
 */
export class CandidateHeap {
  private keys: Float64Array;
  private fs: Int32Array;
  private ds: Int32Array;
  private n = 0;

  constructor(capacity = 1024) {
    const c = Math.max(16, capacity);
    this.keys = new Float64Array(c);
    this.fs = new Int32Array(c);
    this.ds = new Int32Array(c);
  }

  get size(): number {
    return this.n;
  }

  clear(): void {
    this.n = 0;
  }

  /** Appends without ordering; call `heapify()` before reading. O(1) amortized. */
  append(key: number, f: number, d: number): void {
    if (this.n === this.keys.length) this.grow();
    this.keys[this.n] = key;
    this.fs[this.n] = f;
    this.ds[this.n] = d;
    this.n++;
  }

  /** Orders what `append` added. O(n). */
  heapify(): void {
    for (let i = (this.n >> 1) - 1; i >= 0; i--) this.down(i);
  }

  push(key: number, f: number, d: number): void {
    this.append(key, f, d);
    this.up(this.n - 1);
  }

  topKey(): number {
    return this.keys[0];
  }
  topF(): number {
    return this.fs[0];
  }
  topD(): number {
    return this.ds[0];
  }

  /** Removes the top; read it with topKey/topF/topD first. */
  pop(): void {
    this.n--;
    if (this.n > 0) {
      this.move(this.n, 0);
      this.down(0);
    }
  }

  /** Whether (key, f, d) would come before the current top. True on an empty heap. */
  beatsTop(key: number, f: number, d: number): boolean {
    if (this.n === 0) return true;
    return this.before(key, f, d, this.keys[0], this.fs[0], this.ds[0]);
  }

  private before(ka: number, fa: number, da: number, kb: number, fb: number, db: number): boolean {
    return ka > kb || (ka === kb && (fa < fb || (fa === fb && da < db)));
  }

  private less(i: number, j: number): boolean {
    return this.before(this.keys[i], this.fs[i], this.ds[i], this.keys[j], this.fs[j], this.ds[j]);
  }

  private up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) return;
      this.swap(i, p);
      i = p;
    }
  }

  private down(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.n) return;
      const r = l + 1;
      const c = r < this.n && this.less(r, l) ? r : l;
      if (!this.less(c, i)) return;
      this.swap(i, c);
      i = c;
    }
  }

  private swap(i: number, j: number): void {
    const k = this.keys[i];
    const f = this.fs[i];
    const d = this.ds[i];
    this.move(j, i);
    this.keys[j] = k;
    this.fs[j] = f;
    this.ds[j] = d;
  }

  private move(from: number, to: number): void {
    this.keys[to] = this.keys[from];
    this.fs[to] = this.fs[from];
    this.ds[to] = this.ds[from];
  }

  private grow(): void {
    const c = this.keys.length * 2;
    const keys = new Float64Array(c);
    const fs = new Int32Array(c);
    const ds = new Int32Array(c);
    keys.set(this.keys);
    fs.set(this.fs);
    ds.set(this.ds);
    this.keys = keys;
    this.fs = fs;
    this.ds = ds;
  }
}
