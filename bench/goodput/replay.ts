/**
 * Open-loop replay of a prebuilt schedule over NATS request/reply: every request leaves at its
 * scheduled time whether or not earlier ones were answered; latency counts from the scheduled time
 * (client lateness included), so a slow server cannot hide queueing.
 */
import { headers as natsHeaders, NatsConnection } from 'nats';
import { GoodputRecorder } from '../report';
import type { Schedule } from '../workload';

export interface ReplayFunction {
  subject: string;
  body: Uint8Array;
  timeoutMs: number;
}

/** Per-request outcome code: 0 ok, 1 timeout (client, counted as 504), else the numeric error code (or 999 for non-numeric). */
export interface ReplayResult {
  /** Per request, in schedule order. */
  latencyMs: Float64Array;
  outcome: Int32Array;
  batchSize: Uint16Array;
  /** First message per error code. */
  errorSamples: Record<string, string>;
  /** p99 of how late the client sent requests vs. their schedule, ms. */
  clientLagP99Ms: number;
  clientLagMaxMs: number;
  wallMs: number;
}

export const OUTCOME_OK = 0;
export const OUTCOME_TIMEOUT = 1;
export const OUTCOME_NO_RESPONDERS = 2;
export const OUTCOME_OTHER = 999;

export function outcomeLabel(o: number): string {
  return o === OUTCOME_OK ? 'ok' : o === OUTCOME_TIMEOUT ? 'timeout' : o === OUTCOME_NO_RESPONDERS ? 'no-responders' : o === OUTCOME_OTHER ? 'error' : String(o);
}

export async function replay(nc: NatsConnection, schedule: Schedule, fns: ReplayFunction[], recorder: GoodputRecorder): Promise<ReplayResult> {
  const n = schedule.sendMs.length;
  const latencyMs = new Float64Array(n).fill(NaN);
  const outcome = new Int32Array(n).fill(-1);
  const batchSize = new Uint16Array(n);
  const errorSamples: Record<string, string> = {};
  const lags = new Float64Array(n);
  const hdrs = natsHeaders();
  hdrs.set('Content-Type', 'application/msgpack');
  hdrs.set('Accept', 'application/msgpack');
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
    nc.request(f.subject, f.body, { timeout: f.timeoutMs, headers: hdrs }).then(
      (m) => {
        const t = performance.now() - t0;
        const code = m.headers?.get('Nats-Service-Error-Code');
        if (code) {
          const num = Number(code);
          outcome[i] = Number.isInteger(num) && num > 2 ? num : OUTCOME_OTHER;
          errorSamples[code] ??= (m.headers?.get('Nats-Service-Error') || Buffer.from(m.data).toString('utf8')).slice(0, 200);
          recorder.drop(fnIdx, sendMs, code);
        } else {
          outcome[i] = OUTCOME_OK;
          latencyMs[i] = t - sendMs;
          batchSize[i] = Number(m.headers?.get('Epara-Batch-Size') ?? 1) || 1;
          recorder.ok(fnIdx, sendMs, t);
        }
      },
      (e: Error & { code?: string }) => {
        const msg = e?.message ?? String(e);
        if (/timeout/i.test(msg) || e?.code === 'TIMEOUT') {
          outcome[i] = OUTCOME_TIMEOUT;
          recorder.drop(fnIdx, sendMs, 504);
        } else if (/no responders/i.test(msg) || e?.code === '503') {
          outcome[i] = OUTCOME_NO_RESPONDERS;
          errorSamples['no-responders'] ??= msg;
          recorder.drop(fnIdx, sendMs, 503);
        } else {
          outcome[i] = OUTCOME_OTHER;
          errorSamples[`nats:${e?.code ?? 'error'}`] ??= msg.slice(0, 200);
          recorder.drop(fnIdx, sendMs, 'other');
        }
      },
    ).finally(() => {
      if (--outstanding === 0 && allSent) done();
    });
  };

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
  const sortedLags = Float64Array.from(lags).sort();
  return {
    latencyMs,
    outcome,
    batchSize,
    errorSamples,
    clientLagP99Ms: n ? sortedLags[Math.floor(n * 0.99)] : 0,
    clientLagMaxMs: n ? sortedLags[n - 1] : 0,
    wallMs: performance.now() - t0,
  };
}
