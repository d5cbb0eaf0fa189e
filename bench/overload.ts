/**
 * Goodput past capacity (the data-plane issue's "overload that holds").
 *
 *   npx tsx bench/overload.ts --pin            # ~5 min
 *   options: --models=vad,cnn,cnn-wide --seconds=3 (counted, per open-loop run) --warmup=2 (s, uncounted, before each) --admission=off,on --out=report.md --no-wait
 *
 * For each model (batching on, one worker, NATS `epara.v1.invoke.<fn>` with direct reply, msgpack) and
 * for the gateway's admission throttle off (`EPARA_ADMISSION_PERCENT=0`: only the workers refuse) and
 * on (the default): a closed loop finds roughly what the platform serves, an open-loop ladder around
 * it (climbing on while the platform keeps up) finds the peak goodput (completions within the SLO per second), and open loops at 1.5× and 3×
 * that peak show what is left of it under overload. Latency counts from the scheduled send; refusals,
 * timeouts and late answers are not good. Every row keeps each process's CPU and the server's CPU per
 * answered request; a row whose generator fell behind its schedule by more than 2 ms at p99 is INVALID.
 * Run it pinned (`--pin`): the platform on CPU 0, this process (the generator) on CPU 1.
 */
import { encodeTensorsMsgpack } from '@epara/contracts';
import { machineLine, maybeWriteReport, parseArgs, sleep } from './lib/args';
import { BenchCluster, withCluster } from './lib/cluster';
import { closedLoop, natsMuxInvoker, openLoop, ReplyMux } from './lib/load';
import { childPidsNamed, CpuMeter, formatCpu, loadLine, waitQuiet } from './lib/machine';
import { ALL_MODELS, ModelCase } from './lib/model-cases';
import { PIN, pinningLine } from './lib/pinning';
import { formatErrors, ms, pct, rps, Summary, summarize } from './lib/stats';
import { Report } from './lib/table';

const MAX_CLIENT_LAG_MS = 2;
const MSGPACK = 'application/msgpack';
const args = parseArgs();
const RUN_MS = args.num('seconds', 3) * 1000;
/**
 * Each open-loop run first offers its rate for this long uncounted: the gateway's throttle judges once
 * a second from heartbeats, so the counted window shows the state it settles in, not its first second.
 */
const WARMUP_MS = args.num('warmup', 2) * 1000;
const wanted = args.str('models', 'vad,cnn,cnn-wide').split(',');
const MODELS = ALL_MODELS.filter((m) => wanted.includes(m.name));
const ADMISSION = args.str('admission', 'off,on').split(',') as ('off' | 'on')[];
/**
 * The ladder that finds the peak, as fractions of the closed loop's throughput (16 in flight can be
 * fewer than the platform serves with batching, so the ladder climbs on while it keeps up).
 */
const LADDER = [0.6, 0.8, 1.0, 1.2];
/** Beyond the ladder: ×1.3 per step while goodput stays ≥ 90% of the offered rate, at most this many steps. */
const CLIMB_STEPS = 6;
const OVERLOAD = [1.5, 3];

interface Row {
  model: string;
  admission: 'off' | 'on';
  /** `peak search` or `overload`. */
  phase: string;
  /** What the rate is relative to: × the closed loop's throughput (ladder) or × peak goodput (overload). */
  factor: number;
  rate: number;
  s: Summary;
  lagP99: number;
  cpu: Record<string, number>;
  /** gateway + worker + nats-server CPU per answered request, µs. */
  serverUsPerAnswer: number;
  valid: boolean;
}
const rows: Row[] = [];

async function deploy(c: BenchCluster, m: ModelCase): Promise<void> {
  // The mode is pinned so that both clusters serve the model the same way from the first request.
  await c.deploy({ ...m.spec, hints: { mode: m.wantMode } }, m.bytes);
  await c.waitReady(m.name);
  await sleep(1200); // heartbeats with the function ready: the gateway routes to the device subject
}

async function openRun(c: BenchCluster, m: ModelCase, rate: number): Promise<Omit<Row, 'model' | 'admission' | 'phase' | 'factor'>> {
  const mux = new ReplyMux(c.nc, m.sloMs + 1000);
  const invoke = natsMuxInvoker(mux, `epara.v1.invoke.${m.name}`, encodeTensorsMsgpack(m.inputs(1)), {
    contentType: MSGPACK,
    accept: MSGPACK,
  });
  const meter = new CpuMeter({
    client: process.pid,
    gateway: c.gateway.pid,
    worker: c.workers[0].pid,
    nats: childPidsNamed('nats-server')[0] ?? -1,
  }).begin();
  const t0 = performance.now();
  const r = await openLoop(invoke, {
    ratePerSec: rate,
    durationMs: RUN_MS,
    warmupMs: WARMUP_MS,
    drainMs: m.sloMs + 1000,
    seed: 11,
    precise: PIN,
  });
  // The meter spans the uncounted warm-up too: its average cores × the counted share of the wall time.
  const wallS = ((performance.now() - t0) / 1000) * (RUN_MS / (RUN_MS + WARMUP_MS));
  const cpu = meter.end();
  mux.close();
  const s = summarize(r, m.sloMs);
  const answered = s.ok + s.failed - (s.errors['timeout'] ?? 0) - (s.errors['unanswered'] ?? 0);
  const serverCores = (cpu.gateway ?? 0) + (cpu.worker ?? 0) + (cpu.nats ?? 0);
  const lag = r.clientLagP99Ms ?? 0;
  await sleep(800); // the queue empties and the throttle's window moves on before the next run
  return {
    rate,
    s,
    lagP99: lag,
    cpu,
    serverUsPerAnswer: answered > 0 ? (serverCores * wallS * 1e6) / answered : NaN,
    valid: lag <= MAX_CLIENT_LAG_MS,
  };
}

function log(row: Row): void {
  console.log(
    `[overload] ${row.model} admission ${row.admission} ${row.phase} @${rps(row.rate)}/s: goodput ${rps(row.s.goodput)}/s, ok ${rps(row.s.throughput)}/s, p50 ${ms(row.s.p50)} p99 ${ms(row.s.p99)} ms, errors ${formatErrors(row.s)}, lag p99 ${ms(row.lagP99)} ms${row.valid ? '' : ' INVALID'}, CPU ${formatCpu(row.cpu)}, server ${row.serverUsPerAnswer.toFixed(0)} µs/answer`,
  );
}

async function runModel(m: ModelCase, admission: 'off' | 'on'): Promise<void> {
  await withCluster({ workers: 1, gatewayEnv: admission === 'off' ? { EPARA_ADMISSION_PERCENT: '0' } : {} }, async (c) => {
    await deploy(c, m);
    const mux = new ReplyMux(c.nc, m.sloMs + 1000);
    const body = encodeTensorsMsgpack(m.inputs(1));
    const closed = await closedLoop(natsMuxInvoker(mux, `epara.v1.invoke.${m.name}`, body, { contentType: MSGPACK, accept: MSGPACK }), {
      concurrency: 16,
      durationMs: 2000,
      warmupMs: 500,
    });
    mux.close();
    const capacity = closed.ok / (closed.windowMs / 1000);
    console.log(
      `[overload] ${m.name} admission ${admission}: closed loop (16 in flight) ${rps(capacity)} req/s, errors ${formatErrors(summarize(closed))}: ${Object.values(closed.errorSamples).join(' | ').slice(0, 300)}`,
    );
    await sleep(800);
    let peak = 0;
    let last: Row | undefined;
    const climb = (r: Row) => r.valid && (r.s.goodput ?? 0) >= 0.9 * r.rate;
    for (let step = 0; step < LADDER.length || (step < LADDER.length + CLIMB_STEPS && last && climb(last)); step++) {
      const f = step < LADDER.length ? LADDER[step] : last!.factor * 1.3;
      last = { model: m.name, admission, phase: 'peak search', factor: f, ...(await openRun(c, m, Math.round(capacity * f))) };
      rows.push(last);
      log(last);
      if (last.valid) peak = Math.max(peak, last.s.goodput ?? 0);
    }
    if (peak === 0) {
      console.error(`[overload] ${m.name} admission ${admission}: no valid ladder row, no peak to overload from`);
      return;
    }
    for (const f of OVERLOAD) {
      const row: Row = { model: m.name, admission, phase: 'overload', factor: f, ...(await openRun(c, m, Math.round(peak * f))) };
      rows.push(row);
      log(row);
    }
  });
}

async function main(): Promise<void> {
  if (!args.has('no-wait')) await waitQuiet(0.3, args.num('wait', 90) * 1000);
  const report = new Report();
  report.heading('Goodput past capacity (`bench/overload.ts`)', 2);
  report.text(`${machineLine()} ${pinningLine()} ${loadLine()}`);
  for (const m of MODELS) for (const a of ADMISSION) await runModel(m, a);
  for (const m of MODELS) {
    report.heading(`${m.label}, SLO ${m.sloMs} ms, batching on, one worker`);
    const mine = rows.filter((r) => r.model === m.name);
    const peakOf = (a: string) =>
      Math.max(0, ...mine.filter((r) => r.admission === a && r.phase === 'peak search' && r.valid).map((r) => r.s.goodput ?? 0));
    report.table(
      ['admission', 'offered', 'rate/s', 'goodput/s', '÷ peak', 'p50 ms', 'p99 ms', 'errors', 'lag p99', 'CPU cores', 'server µs/answer'],
      mine.map((r) => [
        r.admission,
        r.phase === 'overload' ? `${r.factor}× peak` : `${pct(r.factor)} of closed loop`,
        rps(r.rate),
        rps(r.s.goodput),
        pct((r.s.goodput ?? 0) / Math.max(1, peakOf(r.admission))),
        ms(r.s.p50),
        ms(r.s.p99),
        formatErrors(r.s),
        `${ms(r.lagP99)}${r.valid ? '' : ' INVALID'}`,
        formatCpu(r.cpu),
        r.serverUsPerAnswer.toFixed(0),
      ]),
      { align: ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'l', 'r', 'l', 'r'] },
    );
    for (const a of ADMISSION) {
      const over = mine.filter((r) => r.admission === a && r.phase === 'overload');
      const peak = peakOf(a);
      const text = over
        .map((r) => `${r.factor}×: ${pct((r.s.goodput ?? 0) / Math.max(1, peak))}${r.valid ? '' : ' (INVALID row)'}`)
        .join(', ');
      report.text(
        `Target (≥ 90% of peak at 1.5× and 3×), admission ${a}: peak ${rps(peak)}/s; ${text} → ${over.length && over.every((r) => r.valid && (r.s.goodput ?? 0) >= 0.9 * peak) ? 'met' : 'missed'}.`,
      );
    }
  }
  maybeWriteReport(args, report.toString());
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
