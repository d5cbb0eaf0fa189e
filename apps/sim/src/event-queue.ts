/**
 * The simulator's event queue: a 4-ary min-heap (half the depth of a binary one; pops dominate) on
 * (time, insertion order) kept in parallel typed arrays, so events at the same virtual time run in the order they were scheduled (deterministic)
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
      const p = (i - 1) >> 2;
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
    const time = this.time;
    const seq = this.seq;
    const t = time[0];
    this.kind = this.kinds[0];
    this.payload = this.data[0];
    const n = --this.size;
    if (n > 0) {
      const lt = time[n];
      const ls = seq[n];
      const lk = this.kinds[n];
      const ld = this.data[n];
      let i = 0;
      for (;;) {
        // The earliest of up to four children.
        const first = 4 * i + 1;
        if (first >= n) break;
        const last = first + 4 < n ? first + 4 : n;
        let c = first;
        let ct = time[c];
        for (let k = first + 1; k < last; k++) {
          const kt = time[k];
          if (kt < ct || (kt === ct && seq[k] < seq[c])) {
            c = k;
            ct = kt;
          }
        }
        if (lt < ct || (lt === ct && ls < seq[c])) break;
        time[i] = ct;
        seq[i] = seq[c];
        this.kinds[i] = this.kinds[c];
        this.data[i] = this.data[c];
        i = c;
      }
      time[i] = lt;
      seq[i] = ls;
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
