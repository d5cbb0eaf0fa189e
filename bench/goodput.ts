/**
 * Goodput of the four whole-system policies on the LIVE platform, and how far the simulator is off.
 *
 *   npm run bench:goodput -- [workload.json] [--policies epara,naive,static-batch,adaptive-batch]
 *                            [--duration S] [--warmup S] [--quick] [--seed N] [--out file.md]
 *
 * Default workload bench/workloads/mixed-bursty.json; default 60 s measured + 10 s warm-up per policy
 * (`--quick`: 20 s + 5 s). For each policy: a fresh private cluster (nats-server, gateway, 2 workers,
 * scheduler, all with EPARA_POLICY=<policy>, EPARA_PLACEMENT_PERIOD_MS=2000), one real function per
 * workload function (profile → real model, bench/goodput/models.ts), wait until every function is
 * ready and placed, then the workload's seeded arrivals (@epara/workload buildSchedule, same for every
 * policy) are sent open loop over NATS `epara.v1.invoke.<fn>` (msgpack, timeout SLO + 1 s). Outcomes
 * go through @epara/goodput's GoodputRecorder; then the simulator runs the same workload, duration and
 * placement period, and both are compared. Writes bench/results/live-<workload>-<date>.{md,json,svg}
 * (+ .requests.csv with every request: outcome, latency, batch, worker queue and run time). Figures are reported, never asserted.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { isPolicyName, POLICY_NAMES, PolicyName } from '@epara/policy';
import { machineLine, sleep } from './lib/args';
import { BenchCluster, waitFor } from './lib/cluster';
import { cpuProbeMs, loadLine } from './lib/machine';
import { bodyFor, contentTypeFor, deploySpec, liveModelFor, LiveModel } from './goodput/models';
import { breakdownTable, latencyBreakdown } from './goodput/breakdown';
import { calibratedWorkload, execAt1, pathDelays } from './goodput/calibrate';
import { benchProgress } from './lib/progress';
import { OUTCOME_OK, outcomeLabel, replay, ReplayResult, requestHeaders } from './goodput/replay';
import {
  fmtMs,
  fmtPct,
  fmtRatio,
  fmtRps,
  functionTable,
  percentile,
  goodputMatrix,
  GoodputRecorder,
  markdownTable,
  RunSummary,
  totalsTable,
  writeComparisonArtifacts,
} from '@epara/goodput';
import { simulate } from '@epara/sim';
import { buildSchedule, loadWorkload, Workload } from '@epara/workload';

const USAGE =
  'usage: npm run bench:goodput -- [workload.json] [--policies a,b,c,d] [--duration s] [--warmup s] [--quick] [--seed n] [--out file.md]';

interface Args {
  workload: string;
  policies: PolicyName[];
  durationS: number;
  warmupS: number;
  seed?: number;
  out?: string;
  quick: boolean;
}

function parse(argv: string[]): Args {
  const pos: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      pos.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    if (eq > 0) flags[a.slice(2, eq)] = a.slice(eq + 1);
    else if (argv[i + 1] !== undefined && !argv[i + 1].startsWith('--') && a !== '--quick') flags[a.slice(2)] = argv[++i];
    else flags[a.slice(2)] = true;
  }
  const known = ['policies', 'duration', 'warmup', 'quick', 'seed', 'out', 'help'];
  const unknown = Object.keys(flags).filter((k) => !known.includes(k));
  if (flags.help || unknown.length || pos.length > 1)
    throw new Error(
      `${unknown.length ? `unknown option --${unknown.join(', --')}\n` : pos.length > 1 ? `one workload file expected, got ${pos.join(' ')}\n` : ''}${USAGE}`,
    );
  const quick = flags.quick === true || flags.quick === 'true';
  const num = (k: string, d: number) => {
    if (flags[k] === undefined) return d;
    const n = Number(flags[k]);
    if (!Number.isFinite(n) || n < 0 || (k === 'duration' && n === 0))
      throw new Error(`--${k} needs a number of seconds (got ${String(flags[k])})\n${USAGE}`);
    return n;
  };
  const policies =
    typeof flags.policies === 'string'
      ? flags.policies
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [...POLICY_NAMES];
  const bad = policies.filter((p) => !isPolicyName(p));
  if (!policies.length || bad.length)
    throw new Error(`--policies: unknown ${bad.join(', ') || '(empty)'}; expected some of ${POLICY_NAMES.join(', ')}`);
  return {
    workload: pos[0] ?? 'bench/workloads/mixed-bursty.json',
    policies: policies as PolicyName[],
    durationS: num('duration', quick ? 20 : 60),
    warmupS: num('warmup', quick ? 5 : 10),
    seed: flags.seed !== undefined ? num('seed', 0) : undefined,
    out: typeof flags.out === 'string' ? flags.out : undefined,
    quick,
  };
}

/** The workload cut to the run's length, streams that ran to its end running to the new end (as the simulator does). */
function scaled(w: Workload, durationS: number, warmupS: number): Workload {
  const oldEnd = w.warmupS + w.durationS;
  const newEnd = warmupS + durationS;
  const streams = w.streams
    .map((s) => ({ ...s, endS: s.endS === oldEnd ? newEnd : Math.min(s.endS, newEnd) }))
    .filter((s) => s.endS > s.startS);
  return { ...w, durationS, warmupS, streams };
}

const PLACEMENT_PERIOD_MS = 2000;
const HEARTBEAT_MS = 500;

interface PolicyRun {
  policy: PolicyName;
  summary: RunSummary;
  replay?: ReplayResult;
  placement: Record<string, string>;
  categories: Record<string, string>;
  meanBatch: Record<string, number>;
  setupS: number;
  failure?: string;
  logProblems: string[];
}

async function runPolicy(policy: PolicyName, w: Workload, models: LiveModel[], bodies: Uint8Array[], seed: number): Promise<PolicyRun> {
  const t0 = performance.now();
  const c = new BenchCluster({
    workers: 2,
    env: { EPARA_POLICY: policy, EPARA_PLACEMENT_PERIOD_MS: String(PLACEMENT_PERIOD_MS), EPARA_HEARTBEAT_MS: String(HEARTBEAT_MS) },
  });
  const recorder = new GoodputRecorder(
    w.functions.map((f) => ({ name: f.name, sloMs: f.sloMs, exec1Ms: execAt1(f.profile.execMsByBatch) })),
    { windowStartMs: w.warmupS * 1000, windowEndMs: (w.warmupS + w.durationS) * 1000 },
  );
  const run: PolicyRun = { policy, summary: undefined as never, placement: {}, categories: {}, meanBatch: {}, setupS: 0, logProblems: [] };
  try {
    await c.start();
    for (let i = 0; i < w.functions.length; i++) {
      const f = w.functions[i];
      const d = await c.deploy(deploySpec(f, models[i]), models[i].bytes, 90_000);
      run.categories[f.name] =
        `${d.record.category?.sensitivity ?? '?'} × ${d.record.category?.footprint ?? '?'} → ${d.record.category?.mode ?? '?'}`;
    }
    // Placement settled: every function placed and ready, then two more placement periods.
    await waitFor(
      async () => {
        for (const f of w.functions) if (!(await c.placedMode(f.name))) return false;
        return true;
      },
      30_000,
      'every function placed',
    );
    await sleep(2 * PLACEMENT_PERIOD_MS + HEARTBEAT_MS);
    for (const f of w.functions) await c.waitReady(f.name, 30_000);
    // One request each, in turn: does every function answer at all?
    for (let i = 0; i < w.functions.length; i++) {
      const f = w.functions[i];
      const h = requestHeaders(contentTypeFor(models[i]), models[i].streams ? `${f.name}-probe` : undefined);
      let err: string | undefined;
      for (let attempt = 0; attempt < 5; attempt++) {
        try {
          const m = await c.nc.request(`epara.v1.invoke.${f.name}`, bodies[i], { timeout: 10_000, headers: h });
          const code = m.headers?.get('Nats-Service-Error-Code');
          err = code ? `${code} ${m.headers?.get('Nats-Service-Error')}` : undefined;
        } catch (e) {
          err = (e as Error).message;
        }
        if (!err) break;
        await sleep(500);
      }
      if (err) throw new Error(`${f.name} does not answer a single request: ${err}`);
    }
    for (const f of w.functions) {
      const as = await c.assignments(f.name);
      run.placement[f.name] =
        as.map((a) => `${a.device.replace(/^.*?(cpu:\d+).*$/, '$1')} ${a.mode}${a.maxBatchSize ? ` b${a.maxBatchSize}` : ''}`).join(', ') ||
        'unplaced';
    }
    run.setupS = (performance.now() - t0) / 1000;
    console.log(
      `[goodput] ${policy}: cluster up, ${w.functions.length} functions placed in ${run.setupS.toFixed(1)} s: ${w.functions.map((f) => `${f.name}=${run.placement[f.name]}`).join('; ')}`,
    );
    const schedule = buildSchedule(w, seed);
    benchProgress.row(`policy ${policy}`);
    const r = await replay(
      c.nc,
      schedule,
      w.functions.map((f, i) => ({
        subject: `epara.v1.invoke.${f.name}`,
        body: bodies[i],
        contentType: contentTypeFor(models[i]),
        timeoutMs: f.sloMs + 1000,
        stream: models[i].stream,
        streamPrefix: models[i].streams ? f.name : undefined,
      })),
      recorder,
    );
    run.replay = r;
    const sums = new Float64Array(w.functions.length);
    const cnt = new Float64Array(w.functions.length);
    for (let i = 0; i < schedule.fnIndex.length; i++) {
      if (r.outcome[i] !== OUTCOME_OK) continue;
      sums[schedule.fnIndex[i]] += r.batchSize[i];
      cnt[schedule.fnIndex[i]]++;
    }
    w.functions.forEach((f, i) => (run.meanBatch[f.name] = cnt[i] ? sums[i] / cnt[i] : NaN));
    // Placement at the end (it may have changed during the run).
    for (const f of w.functions) {
      const as = await c.assignments(f.name);
      const end =
        as.map((a) => `${a.device.replace(/^.*?(cpu:\d+).*$/, '$1')} ${a.mode}${a.maxBatchSize ? ` b${a.maxBatchSize}` : ''}`).join(', ') ||
        'unplaced';
      if (end !== run.placement[f.name]) run.placement[f.name] += ` ⇒ ${end}`;
    }
    run.logProblems = c.grepLogs(/\bERROR\b|uncaught|unhandled/i).slice(0, 10);
    console.log(
      `[goodput] ${policy}: ${schedule.sendMs.length} requests in ${(r.wallMs / 1000).toFixed(1)} s, client lag p99 ${fmtMs(r.clientLagP99Ms)} ms (max ${fmtMs(r.clientLagMaxMs)}), errors seen: ${Object.keys(r.errorSamples).join(', ') || 'none'}`,
    );
  } catch (e) {
    run.failure = (e as Error).message;
    console.error(`[goodput] ${policy} FAILED: ${run.failure}`);
    c.dumpLogs(30);
  } finally {
    await c.stop();
  }
  run.summary = recorder.summarize(policy, w.name, {
    setupS: run.setupS,
    placement: run.placement,
    categories: run.categories,
    meanBatch: run.meanBatch,
    failure: run.failure,
    clientLagP99Ms: run.replay?.clientLagP99Ms,
    errorSamples: run.replay?.errorSamples,
  });
  return run;
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  const full = loadWorkload(args.workload);
  const w = scaled(full, args.durationS, args.warmupS);
  const seed = args.seed ?? w.seed;
  const models = await Promise.all(w.functions.map((f) => liveModelFor(f))); // throws on an unknown profile before anything starts
  const bodies = models.map(bodyFor);
  const loadBefore = `${loadLine()}; CPU probe ${cpuProbeMs().toFixed(0)} ms (bench/lib/machine.ts cpuProbeMs: lower is a faster core)`;
  const schedule = buildSchedule(w, seed);
  console.log(
    `[goodput] live replay of ${w.name} (${args.workload}): ${w.functions.length} functions, ${schedule.sendMs.length} requests in ${w.warmupS} s warm-up + ${w.durationS} s measured, seed ${seed}; policies ${args.policies.join(', ')}`,
  );
  console.log(`[goodput] ${machineLine()}; ${loadBefore}`);
  for (let i = 0; i < w.functions.length; i++)
    console.log(
      `[goodput]   ${w.functions[i].name}: profile ${w.functions[i].profileName} → ${models[i].label}, SLO ${w.functions[i].sloMs} ms`,
    );

  const runs: PolicyRun[] = [];
  for (const p of args.policies) runs.push(await runPolicy(p, w, models, bodies, seed));
  const live = runs.map((r) => r.summary);
  const elapsedS = (performance.now() - t0) / 1000;
  const probeAfter = cpuProbeMs();

  console.log(`\n## Live\n\n${totalsTable(live)}\n\n${goodputMatrix(live)}\n`);

  // The simulator on the same workload, duration, seed, placement period and heartbeat.
  console.log('[goodput] simulating the same workload ...');
  const sim = args.policies.map(
    (p) =>
      simulate(full, {
        policy: p,
        durationS: args.durationS,
        warmupS: args.warmupS,
        seed,
        placementPeriodMs: PLACEMENT_PERIOD_MS,
        heartbeatMs: HEARTBEAT_MS,
      }).summary,
  );
  const cmpRows = args.policies.map((p, i) => {
    const l = live[i].total.goodput;
    const s = sim[i].total.goodput;
    const diff = (l - s) / s;
    return [
      p,
      fmtRps(s),
      fmtRps(l),
      `${diff >= 0 ? '+' : ''}${(diff * 100).toFixed(1)}%`,
      Math.abs(diff) <= 0.15 ? 'yes' : 'no',
      fmtPct(sim[i].total.attainment),
      fmtPct(live[i].total.attainment),
    ];
  });
  const cmp = markdownTable(
    ['policy', 'sim goodput/s', 'live goodput/s', 'live vs sim', 'within 15%', 'sim attain', 'live attain'],
    cmpRows,
    ['l'],
  );
  const ratioRows: string[][] = [];
  const ep = args.policies.indexOf('epara');
  if (ep >= 0) {
    for (let i = 0; i < args.policies.length; i++) {
      if (i === ep) continue;
      ratioRows.push([
        `epara ÷ ${args.policies[i]}`,
        fmtRatio(sim[ep].total.goodput / sim[i].total.goodput),
        fmtRatio(live[ep].total.goodput / live[i].total.goodput),
      ]);
    }
  }
  const ratios = ratioRows.length ? markdownTable(['goodput ratio', 'sim', 'live'], ratioRows, ['l']) : '';
  const within = cmpRows.filter((r) => r[4] === 'yes').length;
  console.log(`\n## Sim vs live\n\n${cmp}\n\n${ratios}\n\n${within}/${cmpRows.length} policies within 15%.`);

  // Calibrated: each policy's simulation with the run times its own live run measured and the time
  // outside the worker that the live runs measured per function (pooled over all policies: it is the
  // host's and the payload's, not a policy's).
  const pathDelayMs = pathDelays(
    w,
    schedule,
    runs.flatMap((r) => (r.replay ? [r.replay] : [])),
  );
  const pathNote = w.functions
    .map((f, k) => {
      const xs = [...pathDelayMs[k]].sort((a, b) => a - b);
      return `${f.name} ${fmtMs(percentile(xs, 50))} / ${fmtMs(percentile(xs, 95))}`;
    })
    .join(', ');
  const calRows = args.policies.flatMap((p, i) => {
    const r = runs[i].replay;
    if (!r) return [];
    const { workload, factors } = calibratedWorkload(full, schedule, r, pathDelayMs);
    const s = simulate(workload, {
      policy: p,
      durationS: args.durationS,
      warmupS: args.warmupS,
      seed,
      placementPeriodMs: PLACEMENT_PERIOD_MS,
      heartbeatMs: HEARTBEAT_MS,
    }).summary;
    const l = live[i].total.goodput;
    const diff = (l - s.total.goodput) / s.total.goodput;
    const scale = w.functions.map((f, k) => `${f.name} ×${factors[k].toFixed(2)}`).join(', ');
    return [
      [
        p,
        fmtRps(s.total.goodput),
        fmtRps(l),
        `${diff >= 0 ? '+' : ''}${(diff * 100).toFixed(1)}%`,
        Math.abs(diff) <= 0.15 ? 'yes' : 'no',
        fmtPct(s.total.attainment),
        fmtPct(live[i].total.attainment),
        scale,
      ],
    ];
  });
  const cal = markdownTable(
    [
      'policy',
      'calibrated sim goodput/s',
      'live goodput/s',
      'live vs sim',
      'within 15%',
      'sim attain',
      'live attain',
      'batch-1 run time, live ÷ profile',
    ],
    calRows,
    ['l'],
  );
  const calWithin = calRows.filter((r) => r[4] === 'yes').length;
  const calCaption = `each function's profile scaled by its median live batch-1 run time ÷ the profile's, each run drawn from that run's measured spread around the median, and the network's constant hops replaced by the time outside the worker measured live per function (all policies' runs pooled, requests that reached a worker too late to run counted as 2 × SLO; p50 / p95 ms: ${pathNote})`;
  console.log(`\n## Calibrated sim vs live (${calCaption})\n\n${cal}\n\n${calWithin}/${calRows.length} policies within 15%.`);

  const breakdown = breakdownTable(
    w.functions.map((f) => f.name),
    runs.map((r) => ({ policy: r.policy, parts: r.replay && latencyBreakdown(w.functions.length, schedule, r.replay) })),
  );
  console.log(`\n## Where the time went (live, answered requests, p50 / p95 ms)\n\n${breakdown}`);

  const runTable = markdownTable(
    [
      'policy',
      'setup s',
      'client lag p99 ms',
      'mean batch per function',
      'placement (start ⇒ end)',
      'categories at deploy',
      'errors seen (most frequent reasons, # = a number)',
    ],
    runs.map((r) => [
      r.policy,
      r.setupS.toFixed(1),
      fmtMs(r.replay?.clientLagP99Ms),
      Object.entries(r.meanBatch)
        .map(([k, v]) => `${k} ${Number.isFinite(v) ? v.toFixed(1) : '—'}`)
        .join(', '),
      Object.entries(r.placement)
        .map(([k, v]) => `${k}: ${v}`)
        .join('; '),
      Object.entries(r.categories)
        .map(([k, v]) => `${k}: ${v}`)
        .join('; '),
      r.failure
        ? `FAILED: ${r.failure.slice(0, 200)}`
        : (r.replay?.errorCounts ?? [])
            .slice(0, 4)
            .map(([reason, n]) => `${n} × ${reason}`)
            .join('; ') || '—',
    ]),
    ['l'],
  );
  const command = `npm run bench:goodput -- ${process.argv.slice(2).join(' ')}`.trim();
  const appendix = [
    `### Simulator vs live (same workload, ${w.warmupS} s + ${w.durationS} s, seed ${seed}, placement period ${PLACEMENT_PERIOD_MS} ms)`,
    cmp,
    ratios,
    `${within}/${cmpRows.length} policies within 15%.`,
    `### Calibrated simulator vs live (${calCaption})`,
    cal,
    `${calWithin}/${calRows.length} policies within 15%.`,
    '### Where the time went (live, answered requests, p50 / p95 ms; "outside the worker" = latency − worker queue − run)',
    breakdown,
    '### Runs',
    runTable,
  ].join('\n\n');
  const written = await writeComparisonArtifacts({
    dir: 'bench/results',
    kind: 'live',
    workload: w.name,
    runs: live,
    command,
    notes: [
      `Workload ${basename(args.workload)}: ${w.functions.length} functions, ${w.warmupS} s warm-up (excluded) + ${w.durationS} s measured, seed ${seed}, ${schedule.sendMs.length} requests per policy, the same send times for every policy.`,
      `Live platform: per policy a fresh cluster (nats-server, gateway, 2 workers cpu:0/cpu:1, scheduler; EPARA_POLICY=<policy>, EPARA_PLACEMENT_PERIOD_MS=${PLACEMENT_PERIOD_MS}, EPARA_HEARTBEAT_MS=${HEARTBEAT_MS}); open-loop NATS request/reply to epara.v1.invoke.<fn>, msgpack, timeout SLO + 1 s (a timeout counts as 504); latency from the scheduled send time. Load before: ${loadBefore}; CPU probe after: ${probeAfter.toFixed(0)} ms. Ran ${elapsedS.toFixed(0)} s.`,
    ],
    appendix,
    extra: { workloadFile: args.workload, seed, durationS: w.durationS, warmupS: w.warmupS, sim, placementPeriodMs: PLACEMENT_PERIOD_MS },
    warmupS: w.warmupS,
  });
  // Every request: policy, function, scheduled send ms, latency ms, outcome, batch size, worker queue and run ms.
  const csv = written[0].replace(/\.md$/, '.requests.csv');
  const lines = ['policy,function,send_ms,latency_ms,outcome,batch,queue_ms,exec_ms'];
  for (const r of runs) {
    if (!r.replay) continue;
    for (let i = 0; i < schedule.sendMs.length; i++) {
      const o = r.replay.outcome[i];
      const ok = o === OUTCOME_OK;
      lines.push(
        `${r.policy},${w.functions[schedule.fnIndex[i]].name},${schedule.sendMs[i].toFixed(2)},${ok ? r.replay.latencyMs[i].toFixed(2) : ''},${outcomeLabel(o)},${ok ? r.replay.batchSize[i] : ''},${ok ? r.replay.queueMs[i].toFixed(2) : ''},${ok ? r.replay.execMs[i].toFixed(2) : ''}`,
      );
    }
  }
  writeFileSync(csv, lines.join('\n') + '\n');
  written.push(csv);
  if (args.out) {
    writeFileSync(args.out, readFileSync(written[0], 'utf8'));
    written.push(args.out);
  }
  console.log(`\n${functionTable(live)}\n\n${runTable}\n`);
  for (const r of runs)
    if (r.logProblems.length) console.log(`[goodput] ${r.policy}: worth a look in the apps' logs:\n  ${r.logProblems.join('\n  ')}`);
  console.log(`[goodput] wrote ${written.join(', ')}; ran ${elapsedS.toFixed(0)} s`);
  if (runs.some((r) => r.failure)) process.exitCode = 1;
}

const t0 = performance.now();
main().then(
  () => process.exit(process.exitCode ?? 0),
  (e) => {
    console.error(`[goodput] FAILED: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);
