/**
 * What the platform adds to one inference (the foundation issue's benchmark).
 *
 *   npx tsx bench/invoke-overhead.ts            # ~3 min (add --only=raw,main,2off,1on,2on for 2 workers with batching on)
 *   npx tsx bench/invoke-overhead.ts --quick    # ~40 s (raw, main and 1-worker batching-on parts, short runs)
 *   options: --requests=2000 --seconds=4 --concurrency=64 --out=report.md
 *            --only=raw,main,2off,1on,2on (parts to run) --wait=90 (s to wait for a quiet machine) --no-wait
 *
 * Same two models (the synthetic MLP 256-512-512-10 and the tiny `add`), side by side:
 *   a  raw onnxruntime-node session.run in this process (intraOpNumThreads 1), batch 1
 *   b  NATS  epara.v1.invoke.<fn>, gateway forwards the producer's inbox (direct reply, default)
 *   c  NATS  epara.v1.invoke.<fn>, EPARA_DIRECT_REPLY=false (the gateway relays the reply)
 *   d  NATS  epara.v1.<mode>.<fn> straight to the worker (no gateway)
 *   e  HTTP  POST /v1/functions/<fn>/invoke, JSON
 *   f  HTTP  POST /v1/functions/<fn>/invoke, msgpack
 * plus a bare NATS echo between two processes (no Epara code) as the floor of one hop.
 * Low load: 1 in flight, sequential. Saturation: closed loop, 64 in flight. Workers with
 * EPARA_BATCHING_OFF=1 (1 and 2 workers), and batching on as an extra row.
 * Prints figures only; the targets are reported, never asserted.
 */
import { decodeResultTensors, encodeTensorsMsgpack } from '@epara/contracts';
import { headers as natsHeaders, Msg } from '@nats-io/transport-node';
import * as ort from 'onnxruntime-node';
import { machineLine, maybeWriteReport, parseArgs, sleep } from './lib/args';
import { BenchCluster, GATEWAY_AUTH, getJson, rssBytes, startEchoResponder, waitFor, withCluster } from './lib/cluster';
import { closedLoop, httpInvoker, httpPostOnce, Invoke, keepAliveAgent, natsInvoker, ortInvoker, rawSession, sequential } from './lib/load';
import { formatErrors, mib, ms, pct, rps, Summary, summarize } from './lib/stats';
import { Report } from './lib/table';
import { childPidsNamed, CpuMeter, formatCpu, loadLine, waitQuiet } from './lib/machine';
import { pinningLine } from './lib/pinning';
import { jsonBody, ModelCase, TINY_MODELS } from './lib/tiny-models';

const args = parseArgs();
const QUICK = args.quick;
const REQUESTS = args.num('requests', QUICK ? 200 : 2000);
const WARMUP = QUICK ? 50 : 200;
const SAT_MS = args.num('seconds', QUICK ? 1 : 4) * 1000;
const SAT_WARMUP_MS = QUICK ? 200 : 700;
const CONCURRENCY = args.num('concurrency', 64);
/** Generous, so saturation measures capacity rather than deadline shedding (504s would show in the error column). */
const SLO_MS = 1000;
const MSGPACK = 'application/msgpack';

const MODELS = TINY_MODELS;

type PathId = 'a' | 'b' | 'c' | 'd' | 'e' | 'f' | 'echo';
const PATH_LABEL: Record<PathId, string> = {
  a: 'a raw onnxruntime, in-process',
  b: 'b NATS invoke, direct reply',
  c: 'c NATS invoke, gateway relays',
  d: 'd NATS to worker subject',
  e: 'e HTTP JSON',
  f: 'f HTTP msgpack',
  echo: 'NATS echo, no Epara (hop floor)',
};

interface Measured {
  low?: Summary;
  sat?: Summary;
  /** Cores each process used during the saturation run. */
  cpu?: Record<string, number>;
  /** Saturation replies by serving device (Epara-Device), NATS paths only. */
  devices?: Record<string, number>;
  failure?: string;
}
/** results[model][path] for the main configuration (1 worker, batching off). */
const results: Record<string, Partial<Record<PathId, Measured>>> = {};
/** Saturation rows across configurations. */
const configRows: {
  config: string;
  model: string;
  path: PathId;
  s?: Summary;
  cpu?: Record<string, number>;
  devices?: Record<string, number>;
  failure?: string;
}[] = [];
const memory: { what: string; bytes?: number }[] = [];
const report = new Report();

function note(model: string, path: PathId, m: Measured): void {
  (results[model] ??= {})[path] = m;
  const low = m.low ? `low load p50 ${ms(m.low.p50)} p99 ${ms(m.low.p99)} ms` : '';
  const sat = m.sat
    ? `; ${CONCURRENCY} in flight ${rps(m.sat.throughput)} req/s p50 ${ms(m.sat.p50)} p99 ${ms(m.sat.p99)} ms, errors ${formatErrors(m.sat)}`
    : '';
  console.log(`[bench] ${model.padEnd(4)} ${PATH_LABEL[path].padEnd(32)} ${m.failure ? `FAILED: ${m.failure}` : low + sat}`);
}

async function measure(
  invoke: Invoke,
  check: () => Promise<void>,
  opts: { low?: boolean; sat?: boolean; pids?: Record<string, number>; devices?: Record<string, number> } = { low: true, sat: true },
): Promise<Measured> {
  try {
    await check();
  } catch (e) {
    return { failure: (e as Error).message };
  }
  const m: Measured = {};
  if (opts.low !== false) m.low = summarize(await sequential(invoke, { requests: REQUESTS, warmup: WARMUP }));
  if (opts.sat !== false) {
    const meter = new CpuMeter(opts.pids ?? { client: process.pid });
    const run = closedLoop(invoke, { concurrency: CONCURRENCY, durationMs: SAT_MS, warmupMs: SAT_WARMUP_MS });
    await sleep(SAT_WARMUP_MS);
    meter.begin();
    if (opts.devices) for (const k of Object.keys(opts.devices)) delete opts.devices[k];
    m.sat = summarize(await run, SLO_MS);
    m.cpu = meter.end();
    if (opts.devices && Object.keys(opts.devices).length) m.devices = { ...opts.devices };
  }
  if (m.low && m.low.failed > 0) m.failure = `low-load run had failures: ${formatErrors(m.low)} (${Object.values(m.low.errorSamples)[0]})`;
  return m;
}

// ------------------------------------------------------------------ a: raw onnxruntime

async function runRaw(): Promise<void> {
  for (const m of MODELS) {
    const session = await rawSession(m.bytes, 1);
    const feeds = () => Object.fromEntries(m.inputs.map((t) => [t.name, new ort.Tensor('float32', t.data as Float32Array, t.shape)]));
    const r = await measure(ortInvoker(session, feeds), async () => {
      await session.run(feeds());
    });
    note(m.name, 'a', r);
    await session.release();
  }
}

// ------------------------------------------------------------------ b-f through the platform

function natsCheck(c: BenchCluster, subject: string, m: ModelCase): () => Promise<void> {
  return async () => {
    const h = natsHeaders();
    h.set('Content-Type', MSGPACK);
    h.set('Accept', MSGPACK);
    const reply = await c.nc.request(subject, encodeTensorsMsgpack(m.inputs), { timeout: 10_000, headers: h });
    const code = reply.headers?.get('Nats-Service-Error-Code');
    if (code) throw new Error(`${subject} answered ${code}: ${reply.headers?.get('Nats-Service-Error')}`);
    const out = decodeResultTensors(reply.data, reply.headers?.get('Content-Type'));
    if (!out.length) throw new Error(`${subject} answered no outputs`);
  };
}

function httpCheck(
  url: string,
  body: string | Uint8Array,
  headers: Record<string, string>,
  agent: ReturnType<typeof keepAliveAgent>,
): () => Promise<void> {
  return async () => {
    const r = await httpPostOnce(url, body, headers, agent);
    if (r.status !== 200) throw new Error(`POST ${url} → HTTP ${r.status}: ${r.body.toString('utf8').slice(0, 300)}`);
  };
}

function invokers(c: BenchCluster, m: ModelCase, mode: string, agent: ReturnType<typeof keepAliveAgent>, devices?: Record<string, number>) {
  const packed = encodeTensorsMsgpack(m.inputs);
  const json = jsonBody(m);
  const url = `${c.gatewayUrl}/v1/functions/${m.name}/invoke`;
  const natsOpts = {
    contentType: MSGPACK,
    accept: MSGPACK,
    timeoutMs: 10_000,
    onReply: devices
      ? (msg: Msg) => {
          const d = msg.headers?.get('Epara-Device') || '?';
          devices[d] = (devices[d] ?? 0) + 1;
        }
      : undefined,
  };
  const invokeSubject = `epara.v1.invoke.${m.name}`;
  const workerSubject = `epara.v1.${mode}.${m.name}`;
  return {
    b: [natsInvoker(c.nc, invokeSubject, packed, natsOpts), natsCheck(c, invokeSubject, m)] as const,
    d: [natsInvoker(c.nc, workerSubject, packed, natsOpts), natsCheck(c, workerSubject, m)] as const,
    e: [
      httpInvoker(url, json, { 'content-type': 'application/json', ...GATEWAY_AUTH }, agent),
      httpCheck(url, json, { 'content-type': 'application/json', ...GATEWAY_AUTH }, agent),
    ] as const,
    f: [
      httpInvoker(url, packed, { 'content-type': MSGPACK, accept: MSGPACK, ...GATEWAY_AUTH }, agent),
      httpCheck(url, packed, { 'content-type': MSGPACK, accept: MSGPACK, ...GATEWAY_AUTH }, agent),
    ] as const,
  };
}

/**
 * With several workers, pins `hints.replicas` to the worker count: left to itself the scheduler places
 * one replica of these light models (its capacity model counts only model execution time, which one
 * device covers), and every request goes to that one worker.
 */
async function deployAll(c: BenchCluster): Promise<Record<string, string>> {
  const modes: Record<string, string> = {};
  const n = c.workers.length;
  for (const m of MODELS) {
    const d = await c.deploy(
      { name: m.name, kind: 'tensor', slo: { latencyMs: SLO_MS }, ...(n > 1 ? { hints: { replicas: n } } : {}) },
      m.bytes,
    );
    modes[m.name] = d.mode;
    console.log(`[bench] deployed ${m.name}: category ${d.record.category.sensitivity} × ${d.record.category.footprint}, mode ${d.mode}`);
  }
  return modes;
}

function pidsOf(c: BenchCluster): Record<string, number> {
  const pids: Record<string, number> = { client: process.pid, gateway: c.gateway.pid };
  c.workers.forEach((w, i) => (pids[c.workers.length > 1 ? `worker${i}` : 'worker'] = w.pid));
  const nats = childPidsNamed('nats-server')[0];
  if (nats) pids.nats = nats;
  return pids;
}

/** Main configuration: 1 worker, batching off; every path, low load and saturation. */
async function runMain(): Promise<void> {
  await withCluster({ workers: 1, workerEnv: () => ({ EPARA_BATCHING_OFF: '1' }) }, async (c) => {
    await sleep(1000);
    const w = c.workers[0];
    memory.push({ what: 'worker, no model loaded (VmRSS)', bytes: rssBytes(w.pid) });
    memory.push({ what: 'gateway, idle', bytes: rssBytes(c.gateway.pid) });
    const sched = c.children.find((x) => x.app === 'scheduler');
    if (sched) memory.push({ what: 'scheduler, idle', bytes: rssBytes(sched.pid) });
    const modes = await deployAll(c);
    const agent = keepAliveAgent(CONCURRENCY);

    const echo = await startEchoResponder(c.nats.url, 'bench.echo');
    const echoBody = encodeTensorsMsgpack(MODELS[0].inputs);
    const echoInv = natsInvoker(c.nc, 'bench.echo', echoBody);
    note('—', 'echo', await measure(echoInv, () => echoInv(), { pids: { client: process.pid, echo: echo.pid, nats: pidsOf(c).nats } }));
    await echo.stop();

    for (const m of MODELS) {
      const inv = invokers(c, m, modes[m.name], agent);
      for (const p of ['b', 'd', 'e', 'f'] as const) {
        const r = await measure(inv[p][0], inv[p][1], { pids: pidsOf(c) });
        note(m.name, p, r);
        if (p === 'b' || p === 'd')
          configRows.push({ config: '1 worker, batching off', model: m.name, path: p, s: r.sat, cpu: r.cpu, failure: r.failure });
      }
    }
    memory.push({ what: 'worker, mlp + add loaded, after load (VmRSS)', bytes: rssBytes(w.pid) });
    memory.push({ what: 'gateway, after load', bytes: rssBytes(c.gateway.pid) });

    await c.restartGateway({ EPARA_DIRECT_REPLY: 'false' });
    for (const m of MODELS) await c.waitReady(m.name);
    for (const m of MODELS) {
      const packed = encodeTensorsMsgpack(m.inputs);
      const subject = `epara.v1.invoke.${m.name}`;
      const r = await measure(natsInvoker(c.nc, subject, packed, { contentType: MSGPACK, accept: MSGPACK }), natsCheck(c, subject, m), {
        pids: pidsOf(c),
      });
      note(m.name, 'c', r);
    }
    agent.destroy();
    const errors = c.grepLogs(/\bERROR\b/);
    if (errors.length) console.log(`[bench] errors in the apps' logs:\n${errors.slice(0, 10).join('\n')}`);
  });
}

/** Saturation only, on the public NATS path (b), for another worker count / batching setting. */
async function runSaturation(config: string, workers: number, batchingOff: boolean, paths: ('b' | 'd')[] = ['b']): Promise<void> {
  await withCluster({ workers, workerEnv: (): Record<string, string> => (batchingOff ? { EPARA_BATCHING_OFF: '1' } : {}) }, async (c) => {
    const modes = await deployAll(c);
    if (workers > 1) {
      for (const m of MODELS) {
        const placedOn = await waitFor(
          async () => {
            const p = (await getJson(`${c.gatewayUrl}/v1/placement`)).body?.placement ?? [];
            const on = p.filter((d: any) => d.assignments.some((a: any) => a.fn === m.name)).length;
            return on >= workers && on;
          },
          15_000,
          `${m.name} placed on ${workers} workers`,
        ).catch(() => 1);
        console.log(`[bench] ${m.name}: placed on ${placedOn} of ${workers} workers (hints.replicas=${workers})`);
      }
    }
    await sleep(1200); // let heartbeats report every replica ready, so the gateway spreads load
    const agent = keepAliveAgent(CONCURRENCY);
    for (const m of MODELS) {
      const devices: Record<string, number> = {};
      const inv = invokers(c, m, modes[m.name], agent, devices);
      for (const p of paths) {
        const r = await measure(inv[p][0], inv[p][1], { low: !batchingOff, sat: true, pids: pidsOf(c), devices });
        console.log(
          `[bench] ${config}: ${m.name} ${PATH_LABEL[p]}: ${r.failure ? `FAILED ${r.failure}` : `${rps(r.sat?.throughput)} req/s, p50 ${ms(r.sat?.p50)} p99 ${ms(r.sat?.p99)} ms${r.low ? `; low load p50 ${ms(r.low.p50)} p99 ${ms(r.low.p99)} ms` : ''}`}`,
        );
        configRows.push({ config, model: m.name, path: p, s: r.sat, cpu: r.cpu, devices: r.devices, failure: r.failure });
        if (r.devices) console.log(`[bench]   replies by device: ${formatDevices(r.devices)}`);
        if (r.low) lowLoadBatchingOn.push({ config, model: m.name, s: r.low });
      }
    }
    agent.destroy();
  });
}
const lowLoadBatchingOn: { config: string; model: string; s: Summary }[] = [];

// ------------------------------------------------------------------ report

/** CPU the Epara side (gateway + workers + nats-server) spent per request, µs: robust to noisy neighbours. */
function serverUsPerReq(cpu: Record<string, number> | undefined, s: Summary | undefined): string {
  if (!cpu || !s || s.throughput <= 0) return '—';
  const server = Object.entries(cpu).filter(([k]) => k !== 'client' && k !== 'others');
  if (server.length === 0) return '—';
  const cores = server.reduce((a, [, v]) => a + v, 0);
  return `${Math.round((cores * 1e6) / s.throughput)}`;
}

function formatDevices(d: Record<string, number>): string {
  const total = Object.values(d).reduce((a, b) => a + b, 0);
  return Object.entries(d)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} ${Math.round((v / total) * 100)}%`)
    .join(' · ');
}

function writeReport(startedAt: Date, elapsedS: number, quiet: number, loadBefore: string): void {
  report.heading('Invoke overhead', 2);
  report.text(
    [
      `Command: \`npx tsx bench/invoke-overhead.ts${QUICK ? ' --quick' : ''}\` — ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${machineLine()}; ran ${elapsedS.toFixed(0)} s.`,
      `Low load: 1 in flight, ${REQUESTS} requests after ${WARMUP} warm-up. Saturation: closed loop, ${CONCURRENCY} in flight, ${SAT_MS / 1000} s after ${SAT_WARMUP_MS} ms warm-up. SLO ${SLO_MS} ms.`,
      `Machine before the run: ${pct(quiet)} CPU busy, ${loadBefore}; after: ${loadLine()}.`,
      `Apps from dist/ as child processes (1 gateway, 1 worker with EPARA_BATCHING_OFF=1, 1 scheduler, nats-server); the load generator runs in the benchmark process. ${pinningLine()}`,
      '"CPU cores" is what each process used during the saturation window (/proc/<pid>/stat), "others" everything else on the machine meanwhile; "server CPU µs/req" = (gateway + workers + nats-server) CPU time per completed request, the figure least disturbed by neighbours.',
    ].join('\n'),
  );
  for (const m of MODELS) {
    const raw = results[m.name]?.a;
    const rows = (['a', 'b', 'c', 'd', 'e', 'f'] as PathId[]).map((p) => {
      const r = results[m.name]?.[p];
      if (!r || r.failure) return [PATH_LABEL[p], r?.failure ? `FAILED: ${r.failure.slice(0, 80)}` : 'not run'];
      const addP50 = p !== 'a' && raw?.low && r.low ? r.low.p50 - raw.low.p50 : undefined;
      const addP99 = p !== 'a' && raw?.low && r.low ? r.low.p99 - raw.low.p99 : undefined;
      return [
        PATH_LABEL[p],
        ms(r.low?.p50),
        ms(r.low?.p99),
        addP50 === undefined ? '—' : `+${ms(addP50)}`,
        addP99 === undefined ? '—' : `+${ms(addP99)}`,
        rps(r.sat?.throughput),
        ms(r.sat?.p50),
        ms(r.sat?.p99),
        r.sat ? formatErrors(r.sat) : '—',
        serverUsPerReq(r.cpu, r.sat),
        formatCpu(r.cpu),
      ];
    });
    report.table(
      [
        'path',
        'p50 ms',
        'p99 ms',
        'added p50',
        'added p99',
        `req/s @${CONCURRENCY}`,
        'p50 @sat',
        'p99 @sat',
        'errors @sat',
        'server CPU µs/req',
        'CPU cores @sat',
      ],
      rows,
      {
        title: `${m.name}: low load (1 in flight) and saturation (${CONCURRENCY} in flight), 1 worker, batching off`,
      },
    );
  }
  const echo = results['—']?.echo;
  if (echo?.low) {
    report.text(
      `Floor: a bare NATS request/reply between two Node processes (no Epara code, ${encodeTensorsMsgpack(MODELS[0].inputs).length}-byte request) — p50 ${ms(echo.low.p50)} ms, p99 ${ms(echo.low.p99)} ms; ${rps(echo.sat?.throughput)} req/s at ${CONCURRENCY} in flight (CPU cores: ${formatCpu(echo.cpu)}).`,
    );
  }
  report.table(
    [
      'configuration',
      'model',
      'path',
      `req/s @${CONCURRENCY}`,
      'p50 ms',
      'p99 ms',
      'errors',
      'replies by device',
      'server CPU µs/req',
      'CPU cores',
    ],
    configRows.map((r) => [
      r.config,
      r.model,
      PATH_LABEL[r.path],
      r.failure ? `FAILED: ${r.failure.slice(0, 60)}` : rps(r.s?.throughput),
      ms(r.s?.p50),
      ms(r.s?.p99),
      r.s ? formatErrors(r.s) : '—',
      r.devices ? formatDevices(r.devices) : '—',
      serverUsPerReq(r.cpu, r.s),
      formatCpu(r.cpu),
    ]),
    { title: 'Saturation by worker count and batching (closed loop)' },
  );
  if (lowLoadBatchingOn.length) {
    report.table(
      ['configuration', 'model', 'p50 ms', 'p99 ms'],
      lowLoadBatchingOn.map((r) => [r.config, r.model, ms(r.s.p50), ms(r.s.p99)]),
      { title: "Low load (1 in flight) with batching on, path b: what the batcher's queue delay costs a lone request" },
    );
  }
  report.table(
    ['process', 'resident memory'],
    memory.map((m) => [m.what, mib(m.bytes)]),
    { title: 'Memory' },
  );

  // Targets.
  const t: (string | undefined)[][] = [];
  for (const m of MODELS) {
    const raw = results[m.name]?.a?.low;
    const add = (p: PathId) => {
      const r = results[m.name]?.[p]?.low;
      return raw && r ? r.p50 - raw.p50 : undefined;
    };
    const verdict = (v: number | undefined, lim: number) => (v === undefined ? 'not measured' : v <= lim ? 'met' : 'missed');
    t.push([`${m.name}: added p50 over NATS (b) ≤ 1 ms`, `+${ms(add('b'))} ms`, verdict(add('b'), 1)]);
    t.push([`${m.name}: added p50 over HTTP JSON (e) ≤ 2 ms`, `+${ms(add('e'))} ms`, verdict(add('e'), 2)]);
    t.push([`${m.name}: added p50 over HTTP msgpack (f) ≤ 2 ms`, `+${ms(add('f'))} ms`, verdict(add('f'), 2)]);
    const best = configRows
      .filter((r) => r.model === m.name && r.path === 'b' && r.s && r.config.includes('batching off'))
      .sort((p, q) => q.s!.throughput - p.s!.throughput)[0];
    t.push([
      `${m.name}: ≥ 3,000 req/s over NATS (b), batching off`,
      best ? `${rps(best.s!.throughput)} req/s (${best.config})` : '—',
      best ? (best.s!.throughput >= 3000 ? 'met' : 'missed') : 'not measured',
    ]);
  }
  const idle = memory[0]?.bytes;
  t.push(['worker with no model < 150 MB RSS', mib(idle), idle === undefined ? 'not measured' : idle < 150e6 ? 'met' : 'missed']);
  report.table(['target (reported, not asserted)', 'measured', 'verdict'], t);
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const quiet = args.has('no-wait') ? NaN : await waitQuiet(0.3, args.num('wait', 90) * 1000);
  const loadBefore = loadLine();
  const t0 = performance.now();
  console.log(
    `[bench] invoke overhead${QUICK ? ' (quick)' : ''}: ${machineLine()}; machine ${pct(quiet)} busy before start, ${loadBefore}`,
  );
  const only = new Set(args.str('only', QUICK ? 'raw,main,1on' : 'raw,main,2off,1on').split(','));
  if (only.has('raw')) await runRaw();
  if (only.has('main')) await runMain();
  if (only.has('2off')) await runSaturation('2 workers, batching off', 2, true);
  if (only.has('1on')) await runSaturation('1 worker, batching on', 1, false);
  if (only.has('2on')) await runSaturation('2 workers, batching on', 2, false);
  writeReport(startedAt, (performance.now() - t0) / 1000, quiet, loadBefore);
  maybeWriteReport(args, report.toString());
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`[bench] invoke-overhead FAILED: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);
