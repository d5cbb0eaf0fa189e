/**
 * Dynamic batching on vs off (the categorization issue's benchmark).
 *
 *   npx tsx bench/batching.ts            # ~2 min
 *   npx tsx bench/batching.ts --quick    # ~40 s
 *   options: --seconds=3 (per open-loop rate) --rates=0.1,0.25,0.5,1,1.5 (× raw batch-1 capacity)
 *            --models=vad,cnn --decisions=1000000 --out=report.md --wait=90 (s to wait for a quiet machine) --no-wait
 *
 * For Silero VAD (frequency × single → batch, SLO 32 ms) and the synthetic CNN (x [1,3,64,64],
 * SLO 50 ms, mode pinned to batch):
 *   1. raw onnxruntime in this process at batch 1, 2, 4, ..., 64 (sequential runs) → best batch;
 *   2. through the platform (NATS epara.v1.invoke.<fn>, direct reply, msgpack), one worker, batching
 *      off (EPARA_BATCHING_OFF=1) then on: open-loop Poisson at 25/50/100/150% of raw batch-1 capacity
 *      → throughput, p50/p99, goodput within the SLO, mean batch size the worker reports;
 *   3. the batcher's own decision cost: decideBatch + pickNextQueue from @epara/policy, 1e6 calls.
 * Prints figures only; the targets are reported, never asserted.
 */
import { decodeResultTensors, encodeTensorsMsgpack } from '@epara/contracts';
import { decideBatch, pickNextQueue, BatchParams, QueueCandidate, QueueView } from '@epara/policy';
import { stripVTControlCharacters } from 'node:util';
import { headers as natsHeaders, Msg } from '@nats-io/transport-node';
import { machineLine, maybeWriteReport, parseArgs, sleep } from './lib/args';
import { BenchCluster, gatewayFetch, waitFor, withCluster } from './lib/cluster';
import { natsMuxInvoker, openLoop, ReplyMux } from './lib/load';
import { formatErrors, ms, pct, rps, Summary, summarize } from './lib/stats';
import { Report } from './lib/table';
import { ALL_MODELS, bestRaw, measureRaw, ModelCase, RawRow } from './lib/model-cases';
import { childPidsNamed, CpuMeter, formatCpu, loadLine, waitQuiet } from './lib/machine';
import { pinningLine } from './lib/pinning';
import { benchProgress } from './lib/progress';

/** A row whose open-loop generator fell behind its schedule by more than this at p99 measured the generator, not the platform, ms. */
const MAX_CLIENT_LAG_MS = 2;
const lagText = (lagMs: number | undefined) =>
  lagMs !== undefined && lagMs > MAX_CLIENT_LAG_MS ? `${ms(lagMs)} ms: INVALID row (the generator fell behind)` : `${ms(lagMs)} ms`;

const args = parseArgs();
const QUICK = args.quick;
const RUN_MS = args.num('seconds', QUICK ? 1 : 3) * 1000;
const RATES = args
  .str('rates', QUICK ? '0.25,1' : '0.1,0.25,0.5,1,1.5')
  .split(',')
  .map(Number);
const RAW_MS_PER_SIZE = QUICK ? 150 : 600;
const DECISIONS = args.num('decisions', QUICK ? 200_000 : 1_000_000);
const MSGPACK = 'application/msgpack';

const wanted = args.str('models', 'vad,cnn').split(',');
const MODELS = ALL_MODELS.filter((m) => wanted.includes(m.name));

const report = new Report();
const failures: string[] = [];
const addFailure = (f: string) => {
  if (!failures.includes(f)) failures.push(f);
};

// ------------------------------------------------------------------ 1. raw onnxruntime per batch size

const raw: Record<string, RawRow[]> = {};

async function runRaw(m: ModelCase): Promise<void> {
  raw[m.name] = await measureRaw(m, RAW_MS_PER_SIZE);
}

const rawB1 = (m: ModelCase) => raw[m.name].find((r) => r.size === 1)!.itemsPerSec;
const rawBest = (m: ModelCase) => bestRaw(m, raw[m.name]);

// ------------------------------------------------------------------ 2. through the platform

interface PlatformRow {
  model: string;
  batching: 'off' | 'on';
  rateFactor: number;
  rate: number;
  s?: Summary;
  meanBatch?: number;
  maxBatch?: number;
  clientLagP99?: number;
  cpu?: Record<string, number>;
  failure?: string;
}
const platform: PlatformRow[] = [];
/** First message of each error code per model and setting (what the worker or gateway said). */
const errorSeen = new Map<string, string>();
const records: Record<string, { batching: string; mode: string; category: string; params?: string }[]> = {};

async function deployAndSettle(c: BenchCluster, m: ModelCase): Promise<{ mode: string; note?: string }> {
  const d = await c.deploy(m.spec, m.bytes);
  // The worker profiles on load and the scheduler re-categorizes; wait for the mode we expect (or for
  // the worker to say it could not profile, after which nothing will change by itself).
  const profileFailed = new RegExp(`could not profile ${m.name}\\b`);
  await waitFor(
    async () => (await c.placedMode(m.name)) === m.wantMode || c.grepLogs(profileFailed).length > 0,
    15_000,
    `${m.name} in mode ${m.wantMode}`,
  ).catch(() => false);
  const reached = (await c.placedMode(m.name)) === m.wantMode;
  const profileError = c.grepLogs(profileFailed)[0];
  if (profileError) {
    const why = stripVTControlCharacters(profileError)
      .replace(/^.*?could not profile/, 'could not profile')
      .slice(0, 300);
    addFailure(`${m.name}: the worker ${why}`);
    console.error(`[bench] ${m.name}: the worker ${why}`);
  }
  const rec = (await (await gatewayFetch(`${c.gatewayUrl}/v1/functions/${m.name}`)).json()) as any;
  let mode = (await c.placedMode(m.name)) ?? d.mode;
  console.log(`[bench] ${m.name}: categorized ${rec.category?.reason ?? JSON.stringify(rec.category)}; placed mode ${mode}`);
  let note: string | undefined;
  if (!reached) {
    note = `deployed as ${JSON.stringify(m.spec)} it stayed ${rec.category?.sensitivity} × ${rec.category?.footprint} → ${mode} (${rec.category?.reason}); pinned with PATCH hints.mode=${m.wantMode}`;
    console.error(
      `[bench] ${m.name}: expected mode ${m.wantMode}, got ${mode}; pinning it with PATCH /v1/functions/${m.name} {"hints":{"mode":"${m.wantMode}"}}`,
    );
    const r = await gatewayFetch(`${c.gatewayUrl}/v1/functions/${m.name}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hints: { mode: m.wantMode } }),
    });
    if (r.status !== 200) throw new Error(`PATCH hints.mode=${m.wantMode} failed: HTTP ${r.status} ${await r.text()}`);
    if (!(await c.waitMode(m.name, m.wantMode, 15_000)))
      throw new Error(`${m.name} still placed in mode ${await c.placedMode(m.name)} 15 s after pinning hints.mode=${m.wantMode}`);
    mode = m.wantMode;
  }
  await c.waitReady(m.name);
  const a = (await c.assignments(m.name))[0];
  if (a)
    console.log(
      `[bench] ${m.name}: assignment on ${a.device}: mode ${a.mode}, maxBatchSize ${a.maxBatchSize ?? '—'}, maxQueueDelayMs ${a.maxQueueDelayMs ?? '—'}`,
    );
  return { mode, note };
}

async function check(c: BenchCluster, m: ModelCase): Promise<void> {
  const h = natsHeaders();
  h.set('Content-Type', MSGPACK);
  h.set('Accept', MSGPACK);
  const reply = await c.nc.request(`epara.v1.invoke.${m.name}`, encodeTensorsMsgpack(m.inputs(1)), { timeout: 10_000, headers: h });
  const code = reply.headers?.get('Nats-Service-Error-Code');
  if (code) throw new Error(`epara.v1.invoke.${m.name} answered ${code}: ${reply.headers?.get('Nats-Service-Error')}`);
  decodeResultTensors(reply.data, reply.headers?.get('Content-Type'));
}

/** A burst of concurrent requests: does the worker put more than one request in a batch at all? */
async function burstBatchSizes(c: BenchCluster, m: ModelCase, n = 64): Promise<number[]> {
  const h = natsHeaders();
  h.set('Content-Type', MSGPACK);
  h.set('Accept', MSGPACK);
  const body = encodeTensorsMsgpack(m.inputs(1));
  const replies = await Promise.all(
    Array.from({ length: n }, () =>
      c.nc.request(`epara.v1.invoke.${m.name}`, body, { timeout: 10_000, headers: h }).catch(() => undefined),
    ),
  );
  return replies
    .filter((r): r is Msg => !!r && !r.headers?.get('Nats-Service-Error-Code'))
    .map((r) => Number(r.headers?.get('Epara-Batch-Size') ?? 1));
}

async function runPlatform(batching: 'off' | 'on'): Promise<void> {
  await withCluster(
    { workers: 1, workerEnv: (): Record<string, string> => (batching === 'off' ? { EPARA_BATCHING_OFF: '1' } : {}) },
    async (c) => {
      for (const m of MODELS) {
        let mode: string;
        try {
          const settled = await deployAndSettle(c, m);
          mode = settled.mode;
          if (settled.note) addFailure(`${m.name}: ${settled.note}`);
          await check(c, m);
        } catch (e) {
          const msg = `${m.name} (batching ${batching}): ${(e as Error).message}`;
          addFailure(msg);
          console.error(`[bench] FAILED ${msg}`);
          for (const f of RATES) platform.push({ model: m.name, batching, rateFactor: f, rate: 0, failure: (e as Error).message });
          continue;
        }
        const rec = (await (await gatewayFetch(`${c.gatewayUrl}/v1/functions/${m.name}`)).json()) as any;
        (records[m.name] ??= []).push({ batching, mode, category: `${rec.category?.sensitivity} × ${rec.category?.footprint}` });
        await sleep(600); // a heartbeat with the function ready, so the gateway routes to the device subject
        if (batching === 'on') {
          const sizes = await burstBatchSizes(c, m);
          const max = Math.max(0, ...sizes);
          console.log(
            `[bench] ${m.name}: burst of 64 concurrent requests → batch sizes up to ${max} (mean ${(sizes.reduce((a, b) => a + b, 0) / Math.max(1, sizes.length)).toFixed(1)})`,
          );
          if (max <= 1) {
            const msg = `${m.name}: batching is on but a burst of 64 concurrent requests ran in batches of 1 (Epara-Batch-Size) — the worker does not batch this model`;
            addFailure(msg);
            console.error(`[bench] WARNING ${msg}`);
          }
        }
        const body = encodeTensorsMsgpack(m.inputs(1));
        for (const f of RATES) {
          const rate = Math.round(rawB1(m) * f);
          let batchSum = 0;
          let batchN = 0;
          let batchMax = 0;
          const mux = new ReplyMux(c.nc, m.sloMs + 1000);
          const invoke = natsMuxInvoker(mux, `epara.v1.invoke.${m.name}`, body, {
            contentType: MSGPACK,
            accept: MSGPACK,
            onReply: (msg) => {
              const b = Number(msg.headers?.get('Epara-Batch-Size') ?? 1);
              batchSum += b;
              batchN++;
              if (b > batchMax) batchMax = b;
            },
          });
          await sleep(300);
          const meter = new CpuMeter({
            client: process.pid,
            gateway: c.gateway.pid,
            worker: c.workers[0].pid,
            nats: childPidsNamed('nats-server')[0] ?? -1,
          }).begin();
          benchProgress.row(`${m.name}, batching ${batching}, ${f}× raw (${rate} req/s)`);
          const r = await openLoop(invoke, { ratePerSec: rate, durationMs: RUN_MS, drainMs: m.sloMs + 1000, seed: 7 });
          const cpu = meter.end();
          mux.close();
          const s = summarize(r, m.sloMs);
          const row: PlatformRow = {
            model: m.name,
            batching,
            rateFactor: f,
            rate,
            s,
            meanBatch: batchN ? batchSum / batchN : undefined,
            maxBatch: batchMax,
            clientLagP99: r.clientLagP99Ms,
            cpu,
          };
          platform.push(row);
          for (const [code, msg] of Object.entries(s.errorSamples)) {
            const key = `${m.name}, batching ${batching}, ${code}`;
            if (!errorSeen.has(key)) errorSeen.set(key, msg.slice(0, 200));
          }
          console.log(
            `[bench] ${m.name} batching ${batching} @${rps(rate)}/s (${pct(f)} of raw b1): ${rps(s.throughput)} req/s, goodput ${rps(s.goodput)}/s (${pct(s.goodShare)} within ${m.sloMs} ms), p50 ${ms(s.p50)} p99 ${ms(s.p99)} ms, mean batch ${row.meanBatch?.toFixed(1) ?? '—'} (max ${batchMax}), errors ${formatErrors(s)}, client lag p99 ${ms(r.clientLagP99Ms)} ms, CPU cores ${formatCpu(cpu)}`,
          );
          await sleep(500); // let the queue empty before the next rate
        }
      }
      const errs = c.grepLogs(/\bERROR\b|cannot load|failed/i);
      if (errs.length) console.log(`[bench] worth a look in the apps' logs (batching ${batching}):\n${errs.slice(0, 8).join('\n')}`);
    },
  );
}

// ------------------------------------------------------------------ 3. the batcher's decision cost

interface DecisionCost {
  queues: number;
  usPerDecision: number;
}

function decisionCost(queues: number, calls: number): DecisionCost {
  const execMs = (b: number) => 0.25 + 0.06 * b;
  const params: BatchParams = { maxBatchSize: 64, preferredBatchSize: 32, maxQueueDelayMs: 8, execMs };
  const base = Date.now();
  const views: QueueView[] = Array.from({ length: queues }, (_, q) => ({
    size: 0,
    oldestArrivalMs: base,
    earliestDeadlineMs: base + 32 + q,
  }));
  const candidates: QueueCandidate[] = new Array(queues);
  let sink = 0;
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) {
    const now = base + (i % 40);
    for (let q = 0; q < queues; q++) {
      const v = views[q];
      v.size = (i + q) % 40; // 0..39: empty, waiting, preferred reached, deadline-driven
      v.oldestArrivalMs = now - ((i + q) % 12);
      const d = decideBatch(v, params, now);
      candidates[q] = { key: `q${q}`, decision: d, earliestDeadlineMs: v.earliestDeadlineMs + (i % 40) };
    }
    const next = pickNextQueue(candidates);
    sink += next.kind === 'run' ? next.size : 1;
  }
  const us = ((performance.now() - t0) * 1000) / calls;
  if (sink === -1) console.log(sink); // keep the results alive
  return { queues, usPerDecision: us };
}

// ------------------------------------------------------------------ report

/** CPU the Epara side (gateway + worker + nats-server) spent per answered request (ok or error), µs. */
function serverUsPerReq(p: PlatformRow): string {
  if (!p.cpu || !p.s) return '—';
  const answered =
    p.s.ok +
    Object.entries(p.s.errors)
      .filter(([k]) => k !== 'unanswered' && k !== 'timeout')
      .reduce((a, [, n]) => a + n, 0);
  if (answered === 0) return '—';
  const cores = (p.cpu.gateway ?? 0) + (p.cpu.worker ?? 0) + (p.cpu.nats ?? 0);
  return String(Math.round((cores * p.s.windowMs * 1000) / answered));
}

function writeReport(startedAt: Date, elapsedS: number, decisions: DecisionCost[], quietBefore: number, loadBefore: string): void {
  report.heading('Dynamic batching', 2);
  report.text(
    [
      `Command: \`npx tsx bench/batching.ts${QUICK ? ' --quick' : ''}\` — ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${machineLine()}; ran ${elapsedS.toFixed(0)} s.`,
      `Machine before the run: ${pct(quietBefore)} CPU busy, ${loadBefore}; after: ${loadLine()}.`,
      pinningLine(),
      '"CPU cores": what each process used during the run, "others" the rest of the machine meanwhile (other tenants); "server CPU µs/req": gateway + worker + nats-server CPU per answered request.',
      `Open loop: Poisson arrivals for ${RUN_MS / 1000} s per rate, NATS \`epara.v1.invoke.<fn>\` (direct reply, msgpack), 1 worker (EPARA_BATCHING_OFF=1 for "off"), latency from the scheduled arrival; goodput = replies within the SLO per second. Raw: sequential session.run per batch size, intraOpNumThreads 1, in this process, best of 3 interleaved rounds.`,
    ].join('\n'),
  );
  for (const m of MODELS) {
    if (!raw[m.name]) continue;
    const best = rawBest(m);
    report.table(
      ['batch', 'ms per run', 'items/s'],
      raw[m.name].map((r) => [
        r.size === best.size ? `**${r.size}** (best within SLO)` : String(r.size),
        ms(r.msPerRun),
        rps(r.itemsPerSec),
      ]),
      { title: `${m.label}: raw onnxruntime by batch size`, align: ['l', 'r', 'r'] },
    );
    const rows = platform.filter((p) => p.model === m.name);
    report.table(
      [
        'batching',
        'offered',
        'req/s',
        'goodput/s',
        'within SLO',
        'p50 ms',
        'p99 ms',
        'mean batch',
        'errors',
        'client lag p99',
        'server CPU µs/req',
        'CPU cores',
      ],
      rows.map((p) =>
        p.failure
          ? [p.batching, `${pct(p.rateFactor)} b1`, `FAILED: ${p.failure.slice(0, 70)}`]
          : [
              p.batching,
              `${rps(p.rate)}/s (${pct(p.rateFactor)})`,
              rps(p.s!.throughput),
              rps(p.s!.goodput),
              pct(p.s!.goodShare),
              ms(p.s!.p50),
              ms(p.s!.p99),
              p.meanBatch?.toFixed(1),
              formatErrors(p.s!),
              lagText(p.clientLagP99),
              serverUsPerReq(p),
              formatCpu(p.cpu),
            ],
      ),
      {
        title: `${m.label} through the platform, SLO ${m.sloMs} ms (mode: ${(records[m.name] ?? []).map((r) => `${r.batching} → ${r.category}, ${r.mode}`).join('; ') || '—'})`,
      },
    );
    const peakOn = Math.max(
      0,
      ...rows.filter((p) => p.batching === 'on' && p.s && !((p.clientLagP99 ?? 0) > MAX_CLIENT_LAG_MS)).map((p) => p.s!.goodput ?? 0),
    );
    const ratioRows = RATES.map((f) => {
      const off = rows.find((p) => p.batching === 'off' && p.rateFactor === f)?.s;
      const on = rows.find((p) => p.batching === 'on' && p.rateFactor === f)?.s;
      const ratio = off?.goodput && on?.goodput !== undefined ? on.goodput / off.goodput : undefined;
      return [
        `${pct(f)} of raw b1`,
        rps(off?.goodput),
        rps(on?.goodput),
        ratio === undefined ? '—' : `${ratio.toFixed(2)}×`,
        on ? pct(on.throughput / best.itemsPerSec) : '—',
        on?.goodput !== undefined && peakOn > 0 ? pct(on.goodput / peakOn) : '—',
      ];
    });
    report.table(
      ['offered', 'goodput off', 'goodput on', 'on ÷ off', 'platform (on) ÷ raw best batch', 'goodput (on) ÷ its peak'],
      ratioRows,
      {
        title: `${m.name}: batching on vs off`,
      },
    );
  }
  report.table(
    ['queues on the device', 'µs per decision (decideBatch × queues + pickNextQueue)'],
    decisions.map((d) => [String(d.queues), d.usPerDecision.toFixed(3)]),
    { title: `Batcher decision cost, ${DECISIONS.toLocaleString('en-US')} calls in-process` },
  );

  // Targets.
  const t: string[][] = [];
  const vad = MODELS.find((m) => m.name === 'vad');
  if (vad && raw.vad) {
    const best = rawBest(vad);
    const ons = platform.filter((p) => p.model === 'vad' && p.batching === 'on' && p.s);
    const maxOn = ons.reduce((a, p) => Math.max(a, p.s!.throughput), 0);
    t.push([
      'VAD: platform ≥ 80% of raw best-batch throughput',
      `${rps(maxOn)} req/s vs raw ${rps(best.itemsPerSec)}/s at batch ${best.size} = ${pct(maxOn / best.itemsPerSec)}`,
      ons.length ? (maxOn >= 0.8 * best.itemsPerSec ? 'met' : 'missed') : 'not measured',
    ]);
    const ratios = RATES.map((f) => {
      const off = platform.find((p) => p.model === 'vad' && p.batching === 'off' && p.rateFactor === f)?.s?.goodput;
      const on = platform.find((p) => p.model === 'vad' && p.batching === 'on' && p.rateFactor === f)?.s?.goodput;
      return off && on !== undefined ? { f, r: on / off } : undefined;
    }).filter((x): x is { f: number; r: number } => !!x);
    const bestRatio = ratios.sort((a, b) => b.r - a.r)[0];
    // A ratio without any batch larger than 1 is two runs of the same system: noise, not a gain.
    const batched = ons.some((p) => (p.maxBatch ?? 0) > 1);
    const verdict = !bestRatio
      ? 'not measured'
      : !batched
        ? 'missed (never batched: every reply had Epara-Batch-Size 1, so the ratio is noise)'
        : bestRatio.r >= 3
          ? 'met'
          : 'missed';
    t.push([
      'VAD: batching ≥ 3× goodput of batching off (same SLO)',
      bestRatio ? `best ${bestRatio.r.toFixed(2)}× at ${pct(bestRatio.f)} of raw b1` : '—',
      verdict,
    ]);
  }
  const d1 = decisions.find((d) => d.queues === 1);
  if (d1)
    t.push([
      'batcher decision < 50 µs',
      `${d1.usPerDecision.toFixed(3)} µs (1 queue), ${decisions[decisions.length - 1].usPerDecision.toFixed(3)} µs (${decisions[decisions.length - 1].queues} queues)`,
      d1.usPerDecision < 50 ? 'met' : 'missed',
    ]);
  report.table(['target (reported, not asserted)', 'measured', 'verdict'], t);
  if (errorSeen.size)
    report.text(`**Error replies seen (first of each kind):**\n\n${[...errorSeen].map(([k, v]) => `- ${k}: ${v}`).join('\n')}`);
  if (failures.length) report.text(`**Problems seen during the run:**\n\n${failures.map((f) => `- ${f}`).join('\n')}`);
}

async function main(): Promise<void> {
  const quiet = args.has('no-wait') ? NaN : await waitQuiet(0.3, args.num('wait', 90) * 1000);
  const loadBefore = loadLine();
  const startedAt = new Date();
  const t0 = performance.now();
  console.log(`[bench] batching${QUICK ? ' (quick)' : ''}: ${machineLine()}; machine ${pct(quiet)} busy before start, ${loadBefore}`);
  const decisions = [1, 8].map((q) => decisionCost(q, DECISIONS));
  for (const d of decisions) console.log(`[bench] decision cost with ${d.queues} queue(s): ${d.usPerDecision.toFixed(3)} µs`);
  for (const m of MODELS) await runRaw(m);
  await runPlatform('off');
  await runPlatform('on');
  writeReport(startedAt, (performance.now() - t0) / 1000, decisions, quiet, loadBefore);
  maybeWriteReport(args, report.toString());
  if (failures.length) {
    console.error(`\n[bench] batching: ${failures.length} problem(s) — see "Problems seen during the run" above.`);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`[bench] batching FAILED: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);
