import * as ort from 'onnxruntime-node';
import { Worker } from 'node:worker_threads';
import { withTimeout } from '../with-timeout';

/**
 * What a session created on its own thread can do: run and release. `ort.InferenceSession` has the same
 * two methods, so callers that only run batches take either.
 */
export interface RunnableSession {
  run(feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>>;
  release(): Promise<void>;
}

/** A tensor as it crosses between threads: onnxruntime's type name, dims and data. */
interface WireTensor {
  type: ort.Tensor.Type;
  dims: readonly number[];
  data: ort.Tensor.DataType;
}

type Reply = { id: number; outputs?: Record<string, WireTensor>; error?: string };

/**
 * The thread's program, plain JavaScript so that it runs the same from the built apps, under tsx and
 * under jest (none of which would load a TypeScript file into a new thread). It holds one session and
 * answers `run` and `release` messages in order; tensors come and go as transferred buffers.
 */
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
let session;
const detachable = (a) => ArrayBuffer.isView(a) && a.buffer instanceof ArrayBuffer;
parentPort.on('message', async (m) => {
  try {
    if (m.op === 'create') {
      session = await ort.InferenceSession.create(m.model, m.options);
      parentPort.postMessage({ id: m.id });
    } else if (m.op === 'run') {
      const feeds = {};
      for (const [name, t] of Object.entries(m.feeds)) feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
      const results = await session.run(feeds);
      const outputs = {};
      const transfer = [];
      for (const [name, v] of Object.entries(results)) {
        let data = v.data;
        if (detachable(data)) {
          // A view on a buffer it does not span (or one onnxruntime keeps) is copied, then moved.
          if (data.byteOffset !== 0 || data.byteLength !== data.buffer.byteLength) data = data.slice();
          transfer.push(data.buffer);
        }
        outputs[name] = { type: v.type, dims: v.dims, data };
      }
      try {
        parentPort.postMessage({ id: m.id, outputs }, transfer);
      } catch {
        parentPort.postMessage({ id: m.id, outputs });
      }
    } else if (m.op === 'release') {
      if (session) await session.release();
      session = undefined;
      parentPort.postMessage({ id: m.id });
    }
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: (e && e.message) || String(e) });
  }
});
`;

/**
 * An onnxruntime session that runs on a worker thread of its own. onnxruntime-node's `run` executes
 * synchronously on the calling thread (its promise only defers the call with setImmediate): a 200 ms
 * run on the main thread holds every NATS message, heartbeat and deadline check of the worker for
 * 200 ms. On its own thread the event loop keeps receiving and queueing requests while a batch runs,
 * so the next batch is formed from what really arrived. Costs one copy of each input and output.
 */
export class ThreadedSession implements RunnableSession {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private dead?: Error;

  private constructor(
    private readonly worker: Worker,
    private readonly label: string,
  ) {
    worker.on('message', (r: Reply) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (this.pending.size === 0) this.worker.unref();
      p.resolve(r);
    });
    const fail = (e: Error) => {
      this.dead ??= e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    worker.on('error', (e) => fail(new Error(`the inference thread of ${label} failed: ${e.message}`)));
    worker.on('exit', (code) => fail(new Error(`the inference thread of ${label} exited (code ${code})`)));
    // An idle thread must not keep a process alive on its own; one with a call pending does (see `call`).
    worker.unref();
  }

  /**
   * Starts a thread and creates the session there; throws onnxruntime's error when it cannot be
   * created, or after `timeoutMs` when the thread does not answer.
   */
  static async create(
    model: Uint8Array,
    options: ort.InferenceSession.SessionOptions,
    label = 'a model',
    timeoutMs = 60_000,
  ): Promise<ThreadedSession> {
    const worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { ortPath: require.resolve('onnxruntime-node') } });
    const s = new ThreadedSession(worker, label);
    try {
      await withTimeout(
        s.call({ op: 'create', model, options }),
        timeoutMs,
        `the inference thread of ${label} did not create its session within ${timeoutMs / 1000} s`,
      );
    } catch (e) {
      await worker.terminate();
      throw e;
    }
    return s;
  }

  async run(feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
    const wire: Record<string, WireTensor> = {};
    const transfer: ArrayBuffer[] = [];
    for (const [name, t] of Object.entries(feeds)) {
      let data = t.data;
      if (ArrayBuffer.isView(data)) {
        // An exact copy that can be moved: the caller's array may be a view on a larger shared buffer
        // (a NATS message), which a structured clone would copy whole.
        data = (data as Float32Array).slice() as ort.Tensor.DataType;
        transfer.push((data as Float32Array).buffer as ArrayBuffer);
      }
      wire[name] = { type: t.type, dims: t.dims, data };
    }
    const r = await this.call({ op: 'run', feeds: wire }, transfer);
    const outputs: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(r.outputs ?? {})) outputs[name] = new ort.Tensor(t.type, t.data as never, t.dims);
    return outputs;
  }

  async release(): Promise<void> {
    if (!this.dead) await this.call({ op: 'release' }).catch(() => undefined);
    this.dead ??= new Error(`the session of ${this.label} was released`);
    await this.worker.terminate();
  }

  private call(message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<Reply> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, {
        resolve: (r) => (r.error !== undefined ? reject(new Error(r.error)) : resolve(r)),
        reject,
      });
      this.worker.postMessage({ ...message, id }, transfer);
    });
  }
}

/** A run this long or longer on the calling thread holds its event loop too long: such a model moves to a thread. */
export const THREAD_MIN_RUN_MS = 2;
/** Runs measured before deciding (the first runs of a session are slower: allocation, kernel choice). */
const RUNS_BEFORE_DECIDING = 3;
/** One run this long moves the model at once, warm-up or not (a pipeline stage of seconds must not block three times). */
const LONG_RUN_MS = 50;

/**
 * Starts in-process and moves its model to a thread of its own (ThreadedSession) once its runs prove
 * long (median of the first few ≥ THREAD_MIN_RUN_MS, or any one ≥ 50 ms). A thread costs 0.25–0.5 ms per run in messages
 * and copies (measured on this 2-core host): more than a tiny model's whole run, which blocks the loop
 * for less than that anyway; a 30 ms detector run, on the other hand, would hold every queued request
 * and heartbeat for 30 ms.
 */
export class OffloadingSession implements RunnableSession {
  private threaded?: ThreadedSession;
  private moving = false;
  private localRuns = 0;
  private readonly firstRunsMs: number[] = [];
  private released = false;

  constructor(
    private local: ort.InferenceSession | undefined,
    private model: Uint8Array | undefined,
    private readonly options: ort.InferenceSession.SessionOptions,
    private readonly label: string,
    /** Told once the model runs on its own thread (or could not move there and stays). */
    private readonly onMove?: (outcome: { moved: boolean; reason?: string }) => void,
  ) {}

  /** Whether runs now go to the model's own thread. */
  get onThread(): boolean {
    return this.threaded !== undefined;
  }

  async run(feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
    if (this.threaded) return this.threaded.run(feeds);
    const local = this.local;
    if (!local) throw new Error(`the session of ${this.label} was released`);
    this.localRuns++;
    const t0 = performance.now();
    try {
      return (await local.run(feeds)) as Record<string, ort.Tensor>;
    } finally {
      this.localRuns--;
      this.observe(performance.now() - t0);
      this.releaseLocalIfMoved();
    }
  }

  async release(): Promise<void> {
    this.released = true;
    this.model = undefined;
    await this.threaded?.release();
    const local = this.local;
    this.local = undefined;
    await local?.release();
  }

  private observe(ms: number): void {
    if (this.moving || this.threaded || this.firstRunsMs.length > RUNS_BEFORE_DECIDING) return;
    this.firstRunsMs.push(ms);
    if (ms < LONG_RUN_MS && this.firstRunsMs.length <= RUNS_BEFORE_DECIDING) return;
    const sorted = this.firstRunsMs.slice(1).sort((a, b) => a - b); // the very first run (warm-up) does not count
    const median = ms >= LONG_RUN_MS ? ms : sorted[Math.floor(sorted.length / 2)];
    if (median < THREAD_MIN_RUN_MS || !this.model) {
      this.model = undefined; // stays in-process: the bytes are not needed any more
      return;
    }
    this.moving = true;
    ThreadedSession.create(this.model, this.options, this.label).then(
      (threaded) => {
        this.model = undefined;
        if (this.released) return void threaded.release();
        this.threaded = threaded;
        this.onMove?.({ moved: true });
        this.releaseLocalIfMoved();
      },
      (e: Error) => {
        this.model = undefined;
        this.onMove?.({ moved: false, reason: e.message });
      },
    );
  }

  /** The in-process session goes once the thread serves and no run still uses it. */
  private releaseLocalIfMoved(): void {
    if (!this.threaded || this.localRuns > 0 || !this.local) return;
    const local = this.local;
    this.local = undefined;
    void local.release().catch(() => undefined);
  }
}
