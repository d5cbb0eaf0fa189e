/**
 * Where each app's CPU goes per request: a private cluster (1 gateway, 1 worker with batching off, the
 * scheduler, nats-server) serves the `add` model under closed-loop load on one path at a time, every app
 * writes a V8 CPU profile (`--cpu-prof`), and the samples taken during the load window are summed by
 * what ran them — the NATS client, the codecs, onnxruntime, prom-client, Nest/Express, Node's sockets
 * and streams, Epara's own code, the garbage collector — and divided by the requests answered.
 *
 *   npx tsx bench/profile-breakdown.ts [--pin] [--seconds=8] [--paths=b,d,e] [--model=add|mlp] [--workers=1] [--out=report.md]
 *
 * Paths: b = NATS `epara.v1.invoke.add` with direct reply, d = straight to the worker subject,
 * e = HTTP JSON. A profile's clock is the system's monotonic clock, the same as `process.hrtime`, so
 * the load window cut from it is the one this process measured.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeTensorsMsgpack } from '@epara/contracts';
import { machineLine, maybeWriteReport, parseArgs, sleep } from './lib/args';
import { GATEWAY_AUTH, getJson, waitFor, withCluster } from './lib/cluster';
import { closedLoop, httpInvoker, Invoke, keepAliveAgent, natsInvoker } from './lib/load';
import { pinningLine } from './lib/pinning';
import { jsonBody, tinyModel } from './lib/tiny-models';
import { Report } from './lib/table';

const args = parseArgs(process.argv.slice(2));
const SECONDS = args.num('seconds', 8);
const PATHS = args.str('paths', 'b,d,e').split(',') as PathId[];
const MODEL = args.str('model', 'add');
const WORKERS = args.num('workers', 1);
const CONCURRENCY = 64;
type PathId = 'b' | 'd' | 'e';
const PATH_LABEL: Record<PathId, string> = { b: 'NATS invoke, direct reply', d: 'NATS to worker subject', e: 'HTTP JSON' };

/** What ran a sample, from its frame's script URL and name. Order matters: the first match wins. */
const BUCKETS: [string, (url: string, fn: string) => boolean][] = [
  ['idle', (_u, f) => f === '(idle)'],
  ['garbage collector', (_u, f) => f === '(garbage collector)'],
  ['V8/native (program)', (_u, f) => f === '(program)'],
  ['NATS client (@nats-io)', (u) => u.includes('/@nats-io/')],
  ['msgpack codec (msgpackr)', (u) => u.includes('/msgpackr/')],
  ['onnxruntime-node (incl. the run)', (u) => u.includes('/onnxruntime-')],
  ['metrics (prom-client)', (u) => u.includes('/prom-client/')],
  [
    'Nest / Express / HTTP body',
    (u) => /\/(@nestjs|express|body-parser|router|raw-body|iconv-lite|finalhandler|send|qs|type-is)\//.test(u),
  ],
  ['other node_modules', (u) => u.includes('/node_modules/')],
  ['Node sockets, streams, timers (node:)', (u) => u.startsWith('node:')],
  ['Epara code (dist/)', (u) => u.includes('/dist/')],
  ['V8 builtins (Map, Promise, JSON, …)', (u) => u === ''],
  ['other', () => true],
];

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string } }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** µs of samples per bucket within [fromUs, toUs] of the monotonic clock. */
function bucketize(p: CpuProfile, fromUs: number, toUs: number): Map<string, number> {
  const bucketOf = new Map<number, string>();
  for (const n of p.nodes) bucketOf.set(n.id, BUCKETS.find(([, test]) => test(n.callFrame.url, n.callFrame.functionName))![0]);
  const out = new Map<string, number>();
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i];
    const dt = p.timeDeltas[i + 1] ?? 0; // a sample stands for the time until the next one
    if (t < fromUs || t > toUs) continue;
    const b = bucketOf.get(p.samples[i])!;
    out.set(b, (out.get(b) ?? 0) + dt);
  }
  return out;
}

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

interface PathResult {
  path: PathId;
  answered: number;
  rps: number;
  /** app → bucket → µs per answered request */
  perRequest: Map<string, Map<string, number>>;
}

async function runPath(path: PathId): Promise<PathResult> {
  const dir = mkdtempSync(join(tmpdir(), 'epara-prof-'));
  process.env.EPARA_BENCH_CPU_PROF = dir;
  let window = { from: 0, to: 0, answered: 0, rps: 0 };
  try {
    await withCluster({ workers: WORKERS, workerEnv: () => ({ EPARA_BATCHING_OFF: '1' }) }, async (c) => {
      // Several workers: one replica on each (left alone the scheduler places one replica of a light model).
      const hints = WORKERS > 1 ? { hints: { replicas: WORKERS } } : {};
      const model = tinyModel(MODEL);
      const d = await c.deploy({ name: MODEL, kind: 'tensor', slo: { latencyMs: 100 }, ...hints }, model.bytes);
      const inputs = model.inputs;
      if (WORKERS > 1)
        await waitFor(
          async () => {
            const p = (await getJson(`${c.gatewayUrl}/v1/placement`)).body?.placement ?? [];
            return p.filter((x: { assignments: { fn: string }[] }) => x.assignments.some((a) => a.fn === MODEL)).length >= WORKERS;
          },
          20_000,
          `${MODEL} placed on ${WORKERS} workers`,
        );
      const packed = encodeTensorsMsgpack(inputs);
      const json = Buffer.from(jsonBody(model));
      const agent = keepAliveAgent(CONCURRENCY);
      const msgpack = { contentType: 'application/msgpack', accept: 'application/msgpack' };
      const invoke: Invoke =
        path === 'b'
          ? natsInvoker(c.nc, `epara.v1.invoke.${MODEL}`, packed, msgpack)
          : path === 'd'
            ? natsInvoker(c.nc, `epara.v1.${d.mode}.${MODEL}`, packed, msgpack)
            : httpInvoker(
                `${c.gatewayUrl}/v1/functions/${MODEL}/invoke`,
                json,
                { 'content-type': 'application/json', ...GATEWAY_AUTH },
                agent,
              );
      await closedLoop(invoke, { concurrency: CONCURRENCY, durationMs: 2000, warmupMs: 500 }); // warm the JIT
      const from = monotonicUs();
      const r = await closedLoop(invoke, { concurrency: CONCURRENCY, durationMs: SECONDS * 1000, warmupMs: 0 });
      const to = monotonicUs();
      window = { from, to, answered: r.ok, rps: r.ok / SECONDS };
      agent.destroy();
      const failed = Object.values(r.errors).reduce((a, b) => a + b, 0);
      console.log(`[bench] ${PATH_LABEL[path]}: ${r.ok} answered in ${SECONDS} s, ${failed} failed`);
    });
    await sleep(500);
    const perRequest = new Map<string, Map<string, number>>();
    for (const app of readdirSync(dir)) {
      const files = readdirSync(join(dir, app)).filter((f) => f.endsWith('.cpuprofile'));
      if (files.length === 0) {
        console.log(`[bench] ${app}: no profile written (did it exit cleanly?)`);
        continue;
      }
      const p = JSON.parse(readFileSync(join(dir, app, files[0]), 'utf8')) as CpuProfile;
      const us = bucketize(p, window.from, window.to);
      const per = new Map<string, number>();
      for (const [b, v] of us) per.set(b, v / Math.max(1, window.answered));
      perRequest.set(app, per);
    }
    return { path, answered: window.answered, rps: window.rps, perRequest };
  } finally {
    delete process.env.EPARA_BENCH_CPU_PROF;
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const report = new Report();
  report.heading('Per-request CPU by what ran it (V8 CPU profiles of each app)');
  report.text(`${machineLine()}. ${pinningLine()}`);
  report.text(
    `Model \`${MODEL}\`, ${WORKERS} worker(s) with batching off, closed loop at ${CONCURRENCY} in flight for ${SECONDS} s per path, ` +
      "one fresh cluster per path. Figures: µs of each process's CPU per answered request, from the profile " +
      'samples inside the load window; "idle" is left out. nats-server is native code and is not profiled here ' +
      '(bench:invoke reports its CPU per request).',
  );
  for (const path of PATHS) {
    const r = await runPath(path);
    const apps = [...r.perRequest.keys()].filter((a) => a !== 'scheduler').sort();
    const rows: string[][] = BUCKETS.map(([b]) => b)
      .filter((b) => b !== 'idle')
      .map((b) => [b, ...apps.map((a) => fmt(r.perRequest.get(a)?.get(b)))]);
    const totals = apps.map((a) =>
      [...(r.perRequest.get(a) ?? new Map<string, number>())].filter(([b]) => b !== 'idle').reduce((s, [, v]) => s + v, 0),
    );
    rows.push(['**total**', ...totals.map((t) => `**${fmt(t)}**`)]);
    report.table(['what ran', ...apps], rows, {
      align: ['l', ...apps.map(() => 'r' as const)],
      title: `${PATH_LABEL[path]}: ${Math.round(r.rps).toLocaleString('en-US')} req/s, µs per request`,
    });
  }
  maybeWriteReport(args, report.toString());
}

const fmt = (us: number | undefined) => (us === undefined || us < 0.05 ? '—' : us < 10 ? us.toFixed(1) : Math.round(us).toString());

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
