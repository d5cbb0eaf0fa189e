/**
 * The simulator's event queue: a binary min-heap on (time, insertion order) kept in parallel typed
 * arrays, so events at the same virtual time run in the order they were scheduled (deterministic)
 * and pushing or popping allocates nothing but the occasional growth.
 */
export class EventQueue {
  private time = new Float64Array(1024);
  private seq = new Float64Array(1024);
  private kinds = new Uint8Array(1024);
  private data: unknown[] = new Array(1024);
  private nextSeq = 0;
  size = 0;
  /** Kind and payload of the event the last `pop` returned. */
  kind = 0;
  payload: unknown = undefined;

  push(atMs: number, kind: number, payload: unknown): void {
    if (this.size === this.time.length) this.grow();
    let i = this.size++;
    const s = this.nextSeq++;
    // Sift up.
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = this.time[p];
      if (pt < atMs || (pt === atMs && this.seq[p] < s)) break;
      this.time[i] = pt;
      this.seq[i] = this.seq[p];
      this.kinds[i] = this.kinds[p];
      this.data[i] = this.data[p];
      i = p;
    }
    this.time[i] = atMs;
    this.seq[i] = s;
    this.kinds[i] = kind;
    this.data[i] = payload;
  }

  /** Time of the earliest event; Infinity when empty. */
  peekTime(): number {
    return this.size > 0 ? this.time[0] : Infinity;
  }

  /** Removes the earliest event: returns its time and leaves its kind and payload in `kind` / `payload`. */
  pop(): number {
    const t = this.time[0];
    this.kind = this.kinds[0];
    this.payload = this.data[0];
    const n = --this.size;
    if (n > 0) {
      const lt = this.time[n];
      const ls = this.seq[n];
      const lk = this.kinds[n];
      const ld = this.data[n];
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= n) break;
        const r = c + 1;
        if (r < n && (this.time[r] < this.time[c] || (this.time[r] === this.time[c] && this.seq[r] < this.seq[c]))) c = r;
        const ct = this.time[c];
        if (lt < ct || (lt === ct && ls < this.seq[c])) break;
        this.time[i] = ct;
        this.seq[i] = this.seq[c];
        this.kinds[i] = this.kinds[c];
        this.data[i] = this.data[c];
        i = c;
      }
      this.time[i] = lt;
      this.seq[i] = ls;
      this.kinds[i] = lk;
      this.data[i] = ld;
    }
    this.data[n] = undefined;
    return t;
  }

  private grow(): void {
    const n = this.time.length * 2;
    const t = new Float64Array(n);
    t.set(this.time);
    this.time = t;
    const s = new Float64Array(n);
    s.set(this.seq);
    this.seq = s;
    const k = new Uint8Array(n);
    k.set(this.kinds);
    this.kinds = k;
    this.data.length = n;
  }
}
