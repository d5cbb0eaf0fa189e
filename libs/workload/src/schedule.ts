import { arrivalSources } from './arrivals';
import { Workload } from './types';

/** Every request of a run, in send order: what an open-loop replay sends. */
export interface Schedule {
  /** Send time, ms since the run's start, ascending. */
  sendMs: Float64Array;
  /** Index into `Workload.functions` of each request. */
  fnIndex: Uint32Array;
  /**
   * The arrival source each request came from: a stream with `count: 8` is eight sources. A live
   * replay names a stateful stream (a microphone) by it, so each source keeps its own state.
   */
  sourceIndex: Uint32Array;
}

/**
 * Builds the whole schedule in advance (a k-way merge of the sources, one generator each), so a live
 * replay sends exactly the requests the simulator simulated, and latency can be measured from the
 * scheduled send time: a client that falls behind does not hide the overload.
 */
export function buildSchedule(w: Workload, seed = w.seed): Schedule {
  const sources = arrivalSources(w, seed);
  const n = sources.length;
  // Binary heap of source indices by their next time.
  const next = new Float64Array(n);
  const heap = new Int32Array(n);
  let size = 0;
  const less = (a: number, b: number) => next[a] < next[b] || (next[a] === next[b] && a < b);
  const up = (i: number) => {
    const x = heap[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(x, heap[p])) break;
      heap[i] = heap[p];
      i = p;
    }
    heap[i] = x;
  };
  const down = (i: number) => {
    const x = heap[i];
    for (;;) {
      let c = 2 * i + 1;
      if (c >= size) break;
      if (c + 1 < size && less(heap[c + 1], heap[c])) c++;
      if (!less(heap[c], x)) break;
      heap[i] = heap[c];
      i = c;
    }
    heap[i] = x;
  };
  for (let i = 0; i < n; i++) {
    next[i] = sources[i].process.next();
    if (next[i] < Infinity) {
      heap[size++] = i;
      up(size - 1);
    }
  }
  let cap = 1024;
  let sendMs = new Float64Array(cap);
  let fnIndex = new Uint32Array(cap);
  let sourceIndex = new Uint32Array(cap);
  let count = 0;
  while (size > 0) {
    const s = heap[0];
    if (count === cap) {
      cap *= 2;
      const t = new Float64Array(cap);
      t.set(sendMs);
      sendMs = t;
      const f = new Uint32Array(cap);
      f.set(fnIndex);
      fnIndex = f;
      const src = new Uint32Array(cap);
      src.set(sourceIndex);
      sourceIndex = src;
    }
    sendMs[count] = next[s];
    sourceIndex[count] = s;
    fnIndex[count++] = sources[s].fnIndex;
    next[s] = sources[s].process.next();
    if (next[s] === Infinity) {
      heap[0] = heap[--size];
    }
    if (size > 0) down(0);
  }
  return { sendMs: sendMs.subarray(0, count), fnIndex: fnIndex.subarray(0, count), sourceIndex: sourceIndex.subarray(0, count) };
}
