/**
 * Open-loop replay of a prebuilt schedule over NATS request/reply: every request leaves at its
 * scheduled time whether or not earlier ones were answered; latency counts from the scheduled time
 * (client lateness included), so a slow server cannot hide queueing.
 */
import { createInbox, errors, headers as natsHeaders, Msg, MsgHdrs, NatsConnection } from '@nats-io/transport-node';
import { GoodputRecorder } from '@epara/goodput';
import { classifyNatsError, NatsFailure } from '@epara/nats/nats-errors';
import { benchProgress } from '../lib/progress';
import type { Schedule } from '@epara/workload';

export interface ReplayFunction {
  subject: string;
  body: Uint8Array;
  contentType: string;
  timeoutMs: number;
  /** A stateful stream kind (audio-vad): each arrival source is one stream, `Epara-Stream-Id: <streamPrefix>-s<source>`. */
  streamPrefix?: string;
  /** Generative: tokens stream to an inbox (a message each, then `Epara-Stream: end` with the summary); good = first token within the SLO and TPOT ≤ this. */
  stream?: { tpotSloMs: number };
}

/** Per-request outcome code: 0 ok, 1 timeout (client, counted as 504), else the numeric error code (or 999 for non-numeric). */
export interface ReplayResult {
  /** Per request, in schedule order. */
  latencyMs: Float64Array;
  outcome: Int32Array;
  batchSize: Uint16Array;
  /** Per request, the worker's run time of its batch (`Epara-Exec-Ms`), ms; NaN when not answered. */
  execMs: Float32Array;
  /** Per request, how long it waited in the worker's queue (`Epara-Queue-Ms`), ms; NaN when not answered. */
  queueMs: Float32Array;
  /** Per request, 1 when the worker answered 504 because it arrived too late to run at all (after or too near its deadline). */
  lateArrival: Uint8Array;
  /** First message per error code. */
  errorSamples: Record<string, string>;
  /** How many requests failed for each reason: `<code>: <message with its numbers as #>`, most frequent first. */
  errorCounts: [string, number][];
  /** p99 of how late the client sent requests vs. their schedule, ms. */
  clientLagP99Ms: number;
  clientLagMaxMs: number;
  wallMs: number;
}

export const OUTCOME_OK = 0;
export const OUTCOME_TIMEOUT = 1;
export const OUTCOME_NO_RESPONDERS = 2;
export const OUTCOME_OTHER = 999;

/** Headers of one invocation: its content type, msgpack replies for msgpack requests, the stream it belongs to. */
export function requestHeaders(contentType: string, streamId?: string): MsgHdrs {
  const h = natsHeaders();
  h.set('Content-Type', contentType);
  if (streamId !== undefined) h.set('Epara-Stream-Id', streamId);
  if (contentType === 'application/msgpack') h.set('Accept', 'application/msgpack');
  return h;
}

export function outcomeLabel(o: number): string {
  return o === OUTCOME_OK
    ? 'ok'
    : o === OUTCOME_TIMEOUT
      ? 'timeout'
      : o === OUTCOME_NO_RESPONDERS
        ? 'no-responders'
        : o === OUTCOME_OTHER
          ? 'error'
          : String(o);
}

export async function replay(
  nc: NatsConnection,
  schedule: Schedule,
  fns: ReplayFunction[],
  recorder: GoodputRecorder,
): Promise<ReplayResult> {
  const n = schedule.sendMs.length;
  const latencyMs = new Float64Array(n).fill(NaN);
  const outcome = new Int32Array(n).fill(-1);
  const batchSize = new Uint16Array(n);
  const execMs = new Float32Array(n).fill(NaN);
  const queueMs = new Float32Array(n).fill(NaN);
  const lateArrival = new Uint8Array(n);
  const errorSamples: Record<string, string> = {};
  const reasons = new Map<string, number>();
  const count = (code: string, message: string) => {
    const key = `${code}: ${message.replace(/\d+(\.\d+)?/g, '#').slice(0, 120)}`;
    reasons.set(key, (reasons.get(key) ?? 0) + 1);
  };
  const lags = new Float64Array(n);
  const hdrsOf = fns.map((f) => requestHeaders(f.contentType));
  // A stream kind's headers per arrival source (one microphone each), made once.
  const streamHdrs = new Map<number, MsgHdrs>();
  const headersFor = (fnIdx: number, source: number): MsgHdrs => {
    const prefix = fns[fnIdx].streamPrefix;
    if (prefix === undefined) return hdrsOf[fnIdx];
    let h = streamHdrs.get(source);
    if (!h) streamHdrs.set(source, (h = requestHeaders(fns[fnIdx].contentType, `${prefix}-s${source}`)));
    return h;
  };
  let outstanding = 0;
  let next = 0;
  let allSent = false;
  let done: () => void = () => undefined;
  const drained = new Promise<void>((r) => (done = r));
  const t0 = performance.now();

  const fire = (i: number, nowMs: number) => {
    const fnIdx = schedule.fnIndex[i];
    const sendMs = schedule.sendMs[i];
    const f = fns[fnIdx];
    lags[i] = nowMs - sendMs;
    outstanding++;
    const answered = (m: Msg): boolean => {
      const code = m.headers?.get('Nats-Service-Error-Code');
      if (!code) return true;
      const num = Number(code);
      outcome[i] = Number.isInteger(num) && num > 2 ? num : OUTCOME_OTHER;
      const message = m.headers?.get('Nats-Service-Error') || Buffer.from(m.data).toString('utf8');
      errorSamples[code] ??= message.slice(0, 200);
      count(code, message);
      if (code === '504' && /reached the worker|cannot be met/.test(message)) lateArrival[i] = 1;
      recorder.drop(fnIdx, sendMs, code);
      return false;
    };
    const headers = headersFor(fnIdx, schedule.sourceIndex[i]);
    const sent = f.stream
      ? streamed(nc, f, headers, t0)
      : nc
          .request(f.subject, f.body, { timeout: f.timeoutMs, headers })
          .then((m) => ({ first: m, firstMs: performance.now() - t0, tpotMs: null }));
    sent
      .then(
        ({ first: m, firstMs: t, tpotMs }) => {
          if (answered(m)) {
            outcome[i] = OUTCOME_OK;
            latencyMs[i] = t - sendMs;
            batchSize[i] = Number(m.headers?.get('Epara-Batch-Size') ?? 1) || 1;
            execMs[i] = Number(m.headers?.get('Epara-Exec-Ms') ?? NaN);
            queueMs[i] = Number(m.headers?.get('Epara-Queue-Ms') ?? NaN);
            recorder.ok(fnIdx, sendMs, t, !f.stream || (tpotMs !== null && tpotMs <= f.stream.tpotSloMs));
          }
        },
        (e: Error) => {
          const msg = e?.message ?? String(e);
          const failure = classifyNatsError(e);
          if (failure === NatsFailure.Timeout) {
            outcome[i] = OUTCOME_TIMEOUT;
            count('timeout', `no answer within ${f.timeoutMs} ms`);
            recorder.drop(fnIdx, sendMs, 504);
          } else if (failure === NatsFailure.NoResponders) {
            outcome[i] = OUTCOME_NO_RESPONDERS;
            errorSamples['no-responders'] ??= msg;
            count('503', 'no responders');
            recorder.drop(fnIdx, sendMs, 503);
          } else {
            outcome[i] = OUTCOME_OTHER;
            errorSamples[`nats:${failure}`] ??= msg.slice(0, 200);
            count(`nats:${failure}`, msg);
            recorder.drop(fnIdx, sendMs, 'other');
          }
        },
      )
      .finally(() => {
        if (--outstanding === 0 && allSent) done();
      });
  };

  const progressDone = benchProgress.start({ lengthMs: n ? schedule.sendMs[n - 1] : 0, answered: () => next - outstanding });
  await new Promise<void>((resolve) => {
    const tick = () => {
      const t = performance.now() - t0;
      while (next < n && schedule.sendMs[next] <= t) fire(next++, t);
      if (next >= n) {
        allSent = true;
        resolve();
        return;
      }
      setTimeout(tick, Math.max(0, Math.floor(schedule.sendMs[next] - (performance.now() - t0))));
    };
    tick();
  });
  if (outstanding > 0) await drained;
  progressDone();
  const sortedLags = Float64Array.from(lags).sort();
  return {
    latencyMs,
    outcome,
    batchSize,
    execMs,
    queueMs,
    lateArrival,
    errorSamples,
    errorCounts: [...reasons.entries()].sort((a, b) => b[1] - a[1]),
    clientLagP99Ms: n ? sortedLags[Math.floor(n * 0.99)] : 0,
    clientLagMaxMs: n ? sortedLags[n - 1] : 0,
    wallMs: performance.now() - t0,
  };
}

/**
 * A streamed generation: the first message (a token, or an error) and its time, then, after the
 * `end` marker, the worker's time per output token. Times from `t0` (performance.now() origin).
 */
async function streamed(
  nc: NatsConnection,
  f: ReplayFunction,
  headers: MsgHdrs,
  t0: number,
): Promise<{ first: Msg; firstMs: number; tpotMs: number | null }> {
  const inbox = createInbox();
  // The subscription's own timeout covers only the first message: a stream that stalls later is ended
  // by this idle timer, so one stuck generation cannot keep the replay waiting for ever.
  const sub = nc.subscribe(inbox, { timeout: f.timeoutMs });
  let idle = setTimeout(() => sub.unsubscribe(), f.timeoutMs);
  nc.publish(f.subject, f.body, { reply: inbox, headers });
  let first: { m: Msg; ms: number } | undefined;
  try {
    for await (const m of sub) {
      clearTimeout(idle);
      idle = setTimeout(() => sub.unsubscribe(), f.timeoutMs);
      first ??= { m, ms: performance.now() - t0 };
      const kind = m.headers?.get('Epara-Stream');
      if (m.headers?.get('Nats-Service-Error-Code') || kind !== 'token') {
        if (kind !== 'end') return { first: first.m, firstMs: first.ms, tpotMs: null };
        const summary = JSON.parse(Buffer.from(m.data).toString('utf8')) as { tpotMs?: number | null };
        return { first: first.m, firstMs: first.ms, tpotMs: summary.tpotMs ?? 0 };
      }
    }
  } finally {
    clearTimeout(idle);
    sub.unsubscribe();
  }
  // A timeout like the request's own, so the replay counts it as one.
  throw new errors.TimeoutError({
    cause: new Error(`stream ${first ? 'stalled' : 'never started'}: no message for ${f.timeoutMs} ms before its end marker`),
  });
}
