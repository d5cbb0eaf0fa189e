/**
 * Load generators: sequential (1 in flight), closed loop (C in flight for D seconds) and open loop
 * (Poisson arrivals at rate R for D seconds; arrivals never wait for answers, latency counts from the
 * scheduled arrival so a slow server cannot hide queueing — no coordinated omission). They drive any
 * `Invoke`: NATS request/reply, HTTP (keep-alive), or an in-process onnxruntime session.
 */
import * as http from 'node:http';
import { Msg, MsgHdrs, NatsConnection, headers as natsHeaders, nuid } from '@nats-io/transport-node';
import * as ort from 'onnxruntime-node';
import { classifyNatsError, NatsFailure } from '@epara/nats/nats-errors';
import { benchProgress } from './progress';

/** One request. Resolves when it succeeded; rejects with an InvokeError (or any error) when it did not. */
export type Invoke = () => Promise<void>;

export class InvokeError extends Error {
  constructor(
    /** `429`, `504`, `timeout`, `http-500`, ... : what the error table groups by. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  /**
   * Without a captured stack: under overload most answers are refusals, and capturing a stack for
   * each was a visible share of the generator's own CPU (its lag is what decides if a row is valid).
   */
  static cheap(code: string, message: string): InvokeError {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return new InvokeError(code, message);
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}

export interface RunResult {
  /** Latency of each successful request in the measurement window, ms. */
  latenciesMs: number[];
  /** Requests started in the window. */
  sent: number;
  /** Successful completions in the window. */
  ok: number;
  /** Failures by code. */
  errors: Record<string, number>;
  /** First error message of each code (to show what went wrong). */
  errorSamples: Record<string, string>;
  /** Measurement window, ms (throughput = ok / window). */
  windowMs: number;
  /** Open loop: arrivals the generator itself could not issue on time (client saturated), ms of lag p99. */
  clientLagP99Ms?: number;
}

const now = () => performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Recorder {
  latenciesMs: number[] = [];
  sent = 0;
  ok = 0;
  errors: Record<string, number> = {};
  errorSamples: Record<string, string> = {};
  error(e: unknown): void {
    const code = e instanceof InvokeError ? e.code : /timeout/i.test(String((e as Error)?.message ?? e)) ? 'timeout' : 'error';
    this.errors[code] = (this.errors[code] ?? 0) + 1;
    if (!this.errorSamples[code]) this.errorSamples[code] = String((e as Error)?.message ?? e).slice(0, 300);
  }
  result(windowMs: number, extra: Partial<RunResult> = {}): RunResult {
    return {
      latenciesMs: this.latenciesMs,
      sent: this.sent,
      ok: this.ok,
      errors: this.errors,
      errorSamples: this.errorSamples,
      windowMs,
      ...extra,
    };
  }
}

/** Runs `invoke` `warmup` times, then `requests` times one after another (1 in flight). */
export async function sequential(invoke: Invoke, o: { requests: number; warmup?: number }): Promise<RunResult> {
  for (let i = 0; i < (o.warmup ?? Math.min(200, o.requests)); i++) await invoke().catch(() => undefined);
  const r = new Recorder();
  const t0 = now();
  const done = benchProgress.start({ total: o.requests, answered: () => r.ok });
  for (let i = 0; i < o.requests; i++) {
    const s = now();
    r.sent++;
    try {
      await invoke();
      r.latenciesMs.push(now() - s);
      r.ok++;
    } catch (e) {
      r.error(e);
    }
  }
  done();
  return r.result(now() - t0);
}

/**
 * Closed loop: `concurrency` callers, each sends its next request when its last one is answered, for
 * `durationMs` after `warmupMs`. Only requests started and finished inside the window count.
 */
export async function closedLoop(invoke: Invoke, o: { concurrency: number; durationMs: number; warmupMs?: number }): Promise<RunResult> {
  const r = new Recorder();
  const start = now();
  const windowStart = start + (o.warmupMs ?? 1000);
  const end = windowStart + o.durationMs;
  const caller = async () => {
    while (now() < end) {
      const s = now();
      const counted = s >= windowStart;
      if (counted) r.sent++;
      try {
        await invoke();
        const e = now();
        if (counted && e <= end) {
          r.latenciesMs.push(e - s);
          r.ok++;
        }
      } catch (err) {
        if (counted && now() <= end) r.error(err);
        else if (!counted) await sleep(1); // failing fast during warm-up must not spin
      }
    }
  };
  const done = benchProgress.start({ lengthMs: end - start, answered: () => r.ok });
  await Promise.all(Array.from({ length: o.concurrency }, caller));
  done();
  return r.result(o.durationMs);
}

/** Deterministic PRNG for arrivals (mulberry32), so two runs at the same rate see the same gaps. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Open loop: Poisson arrivals at `ratePerSec` for `durationMs`; each arrival is sent at its scheduled
 * time whether or not earlier ones were answered. Latency = completion − scheduled arrival (client
 * timer lateness included, so it is never flattering). Afterwards waits up to `drainMs` for stragglers;
 * throughput is measured over max(duration, last completion). Timers have ~1 ms granularity, so
 * arrivals less than 1 ms apart leave together (unless `precise`).
 */
/** How long before an arrival a precise open loop stops sleeping and spins, ms. */
const PRECISE_SPIN_MS = 6;

export async function openLoop(
  invoke: Invoke,
  o: {
    ratePerSec: number;
    durationMs: number;
    drainMs?: number;
    seed?: number;
    maxOutstanding?: number;
    /**
     * Wait out the last PRECISE_SPIN_MS before an arrival with setImmediate instead of a timer (a Node
     * timer fires up to a few ms late: with a 1.5 ms window the generator lagged 3.6 ms at p99 at
     * 117 req/s and less at higher rates, where every gap is spun): keeps the schedule to a fraction
     * of a millisecond, at the price of a busy core. Only for a generator pinned to a core of its own (`--pin`).
     */
    precise?: boolean;
    /**
     * Arrivals scheduled in the first `warmupMs` are sent but not counted (the run lasts warmupMs +
     * durationMs): a controller that reacts once a second has settled before the counted window.
     */
    warmupMs?: number;
  },
): Promise<RunResult> {
  const r = new Recorder();
  const warmupMs = o.warmupMs ?? 0;
  const rand = prng(o.seed ?? 42);
  const gap = () => (-Math.log(1 - rand()) * 1000) / o.ratePerSec;
  const maxOutstanding = o.maxOutstanding ?? 50_000;
  let outstanding = 0;
  let lastDone = 0;
  const lags: number[] = [];
  const start = now();
  const countFrom = start + warmupMs;
  const end = countFrom + o.durationMs;
  let next = start + gap();
  let allDone: () => void = () => undefined;
  const drained = new Promise<void>((res) => (allDone = res));
  let firing = true;
  const done = benchProgress.start({ lengthMs: end - start, answered: () => r.ok });
  const fire = (scheduled: number) => {
    const counted = scheduled >= countFrom;
    if (counted) r.sent++;
    if (outstanding >= maxOutstanding) {
      if (counted)
        r.error(new InvokeError('client-overflow', `more than ${maxOutstanding} requests outstanding; the client dropped this arrival`));
      return;
    }
    outstanding++;
    invoke()
      .then(
        () => {
          if (!counted) return;
          const t = now();
          r.latenciesMs.push(t - scheduled);
          r.ok++;
          lastDone = t;
        },
        (e) => {
          if (!counted) return;
          r.error(e);
          lastDone = now();
        },
      )
      .finally(() => {
        if (--outstanding === 0 && !firing) allDone();
      });
  };
  await new Promise<void>((resolve) => {
    const tick = () => {
      const t = now();
      while (next <= t && next < end) {
        if (next >= countFrom) lags.push(t - next);
        fire(next);
        next += gap();
      }
      if (next >= end) {
        firing = false;
        resolve();
        return;
      }
      const wait = next - now();
      if (o.precise && wait < PRECISE_SPIN_MS) setImmediate(tick);
      else setTimeout(tick, Math.max(0, Math.floor(o.precise ? wait - PRECISE_SPIN_MS : wait)));
    };
    tick();
  });
  if (outstanding > 0) await Promise.race([drained, sleep(o.drainMs ?? 5000)]);
  done();
  const unanswered = outstanding;
  if (unanswered > 0) {
    r.errors['unanswered'] = (r.errors['unanswered'] ?? 0) + unanswered;
    r.errorSamples['unanswered'] = `${unanswered} requests had no answer ${o.drainMs ?? 5000} ms after the last arrival`;
  }
  lags.sort((a, b) => a - b);
  return r.result(Math.max(o.durationMs, lastDone - countFrom), { clientLagP99Ms: lags.length ? lags[Math.floor(lags.length * 0.99)] : 0 });
}

// ---------------------------------------------------------------------------------------------------
// Invokers

export interface NatsInvokeOptions {
  contentType?: string;
  accept?: string;
  timeoutMs?: number;
  /** Extra headers per request (e.g. a fresh deadline); called for every request when given. */
  headers?: () => Record<string, string>;
  /** Sees every successful reply (e.g. to read `Epara-Batch-Size`). */
  onReply?: (m: Msg) => void;
}

/** NATS request/reply; a reply with `Nats-Service-Error-Code` counts as a failure with that code. */
export function natsInvoker(nc: NatsConnection, subject: string, body: Uint8Array, o: NatsInvokeOptions = {}): Invoke {
  const fixed: MsgHdrs = natsHeaders();
  if (o.contentType) fixed.set('Content-Type', o.contentType);
  if (o.accept) fixed.set('Accept', o.accept);
  const timeout = o.timeoutMs ?? 10_000;
  return async () => {
    let h = fixed;
    if (o.headers) {
      h = natsHeaders();
      if (o.contentType) h.set('Content-Type', o.contentType);
      if (o.accept) h.set('Accept', o.accept);
      for (const [k, v] of Object.entries(o.headers())) h.set(k, v);
    }
    let m;
    try {
      m = await nc.request(subject, body, { timeout, headers: h });
    } catch (e) {
      const msg = (e as Error).message ?? String(e);
      const failure = classifyNatsError(e);
      throw new InvokeError(
        failure === NatsFailure.Timeout ? 'timeout' : failure === NatsFailure.NoResponders ? 'no-responders' : 'nats-error',
        msg,
      );
    }
    const code = m.headers?.get('Nats-Service-Error-Code');
    if (code) throw new InvokeError(code, m.headers?.get('Nats-Service-Error') || Buffer.from(m.data).toString('utf8').slice(0, 300));
    o.onReply?.(m);
  };
}

/**
 * Request/reply for a load generator, lighter than `nc.request`: one wildcard subscription on a private
 * inbox for every reply, a sequence number per request in the reply subject, a map of waiters and one
 * sweep every 20 ms for timeouts — no subscription, timer or error object with a stack per request.
 * An open loop at several thousand requests a second then stays on its schedule (`nc.request` builds a
 * request object, a timer and an error with a captured stack per call). One timeout for all requests,
 * so the waiters expire in the order they were sent.
 */
export class ReplyMux {
  private readonly prefix = `_INBOX.${nuid.next()}`;
  private seq = 0;
  private readonly waiting = new Map<number, { expires: number; resolve: (m: Msg) => void; reject: (e: InvokeError) => void }>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs: number,
  ) {
    nc.subscribe(`${this.prefix}.*`, {
      callback: (err, m) => {
        if (err) return;
        const id = Number(m.subject.slice(this.prefix.length + 1));
        const w = this.waiting.get(id);
        if (!w) return; // answered after its timeout
        this.waiting.delete(id);
        w.resolve(m);
      },
    });
    this.sweeper = setInterval(() => this.sweep(), 20);
    this.sweeper.unref();
  }

  request(subject: string, body: Uint8Array, headers: MsgHdrs): Promise<Msg> {
    const id = ++this.seq;
    return new Promise<Msg>((resolve, reject) => {
      this.waiting.set(id, { expires: performance.now() + this.timeoutMs, resolve, reject });
      try {
        this.nc.publish(subject, body, { reply: `${this.prefix}.${id}`, headers });
      } catch (e) {
        this.waiting.delete(id);
        reject(InvokeError.cheap('nats-error', (e as Error).message));
      }
    });
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  private sweep(): void {
    const t = performance.now();
    for (const [id, w] of this.waiting) {
      if (w.expires > t) break;
      this.waiting.delete(id);
      w.reject(InvokeError.cheap('timeout', `no reply within ${this.timeoutMs} ms`));
    }
  }
}

/**
 * `natsInvoker` over a ReplyMux: the open-loop generator's invoker. No "no responders" detection (a
 * publish has none): a request nobody takes times out.
 */
export function natsMuxInvoker(
  mux: ReplyMux,
  subject: string,
  body: Uint8Array,
  o: Omit<NatsInvokeOptions, 'timeoutMs' | 'headers'> = {},
): Invoke {
  const h: MsgHdrs = natsHeaders();
  if (o.contentType) h.set('Content-Type', o.contentType);
  if (o.accept) h.set('Accept', o.accept);
  return async () => {
    const m = await mux.request(subject, body, h);
    const code = m.headers?.get('Nats-Service-Error-Code');
    if (code) throw InvokeError.cheap(code, m.headers?.get('Nats-Service-Error') || '');
    o.onReply?.(m);
  };
}

/** A keep-alive agent sized for `sockets` concurrent requests (one connection each). */
export function keepAliveAgent(sockets = 64): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets, scheduling: 'lifo' });
}

/**
 * HTTP POST over a keep-alive node:http agent (lighter on the client's CPU than fetch, which matters
 * on 2 cores); a status other than 200 counts as a failure `http-<status>`.
 */
export function httpInvoker(
  url: string,
  body: Uint8Array | string,
  headers: Record<string, string>,
  agent: http.Agent,
  timeoutMs = 10_000,
): Invoke {
  const u = new URL(url);
  const payload = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const hdrs = { ...headers, 'content-length': String(payload.length) };
  return () =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(
        { host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'POST', headers: hdrs, agent, timeout: timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            if (res.statusCode === 200) resolve();
            else reject(new InvokeError(`http-${res.statusCode}`, Buffer.concat(chunks).toString('utf8').slice(0, 300)));
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new InvokeError('timeout', `no HTTP answer in ${timeoutMs} ms`)));
      req.on('error', (e) => reject(e instanceof InvokeError ? e : new InvokeError('http-error', e.message)));
      req.end(payload);
    });
}

/** One POST with the whole reply (for checking a path works before loading it). */
export function httpPostOnce(
  url: string,
  body: Uint8Array | string,
  headers: Record<string, string>,
  agent: http.Agent,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  const u = new URL(url);
  const payload = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        headers: { ...headers, 'content-length': String(payload.length) },
        agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** In-process onnxruntime: `session.run(feeds())`. `feeds` builds fresh ort.Tensors over prepared data. */
export function ortInvoker(session: ort.InferenceSession, feeds: () => Record<string, ort.Tensor>): Invoke {
  return async () => {
    await session.run(feeds());
  };
}

/** intraOpNumThreads 1, sequential, all graph optimizations: what a CPU worker's session uses. */
export async function rawSession(model: Uint8Array | string, threads = 1): Promise<ort.InferenceSession> {
  const opts: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    executionProviders: ['cpu'],
  };
  return typeof model === 'string' ? ort.InferenceSession.create(model, opts) : ort.InferenceSession.create(model, opts);
}
