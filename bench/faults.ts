/**
 * The fault suite: hard faults under load on the netns bed (scripts/lib/netns.mjs: three hosts, a
 * three-node NATS cluster, gateway + scheduler on h1, workers on h2 and h3), one fresh bed per scenario.
 * For each it prints what the producers saw: sent, answered within the SLO, each error code, and lost
 * (no answer by the deadline plus a grace period: the silent loss no fault may cause), the share of the
 * requests that could still meet their deadline when the fault struck and did not, and how long until
 * every second was ≥ 99% good again.
 *
 * Run (root, iproute2): npm run bench:faults [-- --scenarios worker-kill,host-cut --rate 100 --slo 500
 *   --soak-minutes 30 --out file.md]. Without --scenarios every scenario but the soak runs; the soak runs
 * when --soak-minutes is given (RSS of every process sampled every 10 s, slope per 10 min after warm-up).
 *
 * The producer is a NATS client on h3's server sending request/reply to `epara.v1.invoke.cnn` in an open
 * loop (Poisson arrivals) from this process; it reports its own lag (scheduled → sent).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, headers as natsHeaders, NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { encodeTensorsMsgpack, Header } from '@epara/contracts';
import { buildCnn } from '@epara/runtime';
import { deployMultipart, http } from '../test/support/http';
import { loadNetns, NetnsBed, netnsUnavailableReason } from '../test/support/netns-bed';
import { PROCESS_APP_ENV, replicasOf } from '../test/support/process-cluster';
import { waitFor } from '../test/support/wait-for';
import { machineLine, maybeWriteReport, parseArgs, sleep } from './lib/args';
import { percentile } from './lib/stats';
import { markdownTable } from './lib/table';

const args = parseArgs();
const RATE = args.num('rate', 100);
const SLO_MS = args.num('slo', 500);
/** After its deadline a request gets this long to bring an answer (a 504 included) before it counts as lost. */
const GRACE_MS = args.num('grace', 1000);
const FAULT_AT_MS = 5000;
const FN = 'cnn';
/** Where to write each process's log after each scenario (`--logs <dir>`); none by default. */
const LOGS_DIR = args.str('logs', '');

const BODY = encodeTensorsMsgpack([{ name: 'x', datatype: 'FP32', shape: [1, 3, 64, 64], data: new Float32Array(3 * 64 * 64).fill(0.2) }]);

/** One request as the producer saw it. */
interface Outcome {
  /** Scheduled send time, ms from the load's start. */
  at: number;
  /** `ok` (answered within the SLO), `late` (answered after it), `lost`, an error code, or a client error. */
  kind: string;
  device?: string;
}

/** An open loop of NATS requests that keeps every outcome with its time. */
class FaultLoad {
  readonly outcomes: Outcome[] = [];
  private readonly lags: number[] = [];
  private running = true;
  private pending = new Set<Promise<void>>();
  private readonly t0 = performance.now();
  /** The load's start, epoch ms: to find a lost request's moment in the apps' logs (`--logs`). */
  readonly startedAtWall = Date.now();
  private done: Promise<void>;

  constructor(
    private readonly nc: NatsConnection,
    ratePerSec: number,
  ) {
    let seed = 42;
    const random = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    const gap = () => (-Math.log(1 - random()) * 1000) / ratePerSec;
    let next = gap();
    this.done = (async () => {
      while (this.running) {
        const now = this.elapsed();
        while (next <= now) {
          this.lags.push(now - next);
          this.send(next);
          next += gap();
        }
        await sleep(Math.max(0, Math.floor(next - this.elapsed())));
      }
    })();
  }

  elapsed(): number {
    return performance.now() - this.t0;
  }

  private send(at: number): void {
    const h = natsHeaders();
    h.set('Content-Type', 'application/msgpack');
    h.set('Accept', 'application/msgpack');
    const p = this.nc
      .request(`epara.v1.invoke.${FN}`, BODY, { timeout: SLO_MS + GRACE_MS, headers: h })
      .then(
        (m) => {
          const code = m.headers?.get('Nats-Service-Error-Code');
          const device = m.headers?.get(Header.Device) || undefined;
          const kind = code ? code : this.elapsed() - at <= SLO_MS ? 'ok' : 'late';
          this.outcomes.push({ at, kind, device });
        },
        (e: Error) => {
          const kind = /timeout/i.test(e.message) ? 'lost' : /no responders/i.test(e.message) ? 'no-responders' : `client: ${e.message}`;
          this.outcomes.push({ at, kind });
        },
      )
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Stops sending and waits for every request's answer or its timeout. */
  async stop(): Promise<{ outcomes: Outcome[]; lagP99Ms: number }> {
    this.running = false;
    await this.done;
    await Promise.all([...this.pending]);
    this.outcomes.sort((a, b) => a.at - b.at);
    const lags = [...this.lags].sort((a, b) => a - b);
    return { outcomes: this.outcomes, lagP99Ms: lags.length ? percentile(lags, 0.99) : 0 };
  }
}

/** What a scenario does to the bed while the load runs, and what it found out besides the outcomes. */
interface ScenarioRun {
  notes: string[];
  /** A device whose share of the answers from `fromMs` to the end is reported (a returning worker's). */
  shareOf?: { device: string; fromMs: number };
}

interface ScenarioContext {
  bed: NetnsBed;
  load: FaultLoad;
  deviceOf(host: string): string;
  /** Resolves at `ms` after the load's start. */
  at(ms: number): Promise<void>;
}

interface Scenario {
  what: string;
  /** How long the load runs, ms. */
  durationMs: number;
  /** Requests/s of the load; default --rate. */
  rate?: number;
  /** Extra processes started before the function is deployed. */
  setup?(bed: NetnsBed): Promise<void>;
  run(c: ScenarioContext): Promise<ScenarioRun>;
}

/** The share of the answered requests scheduled from `fromMs` on that `device` served. */
function shareServedBy(outcomes: Outcome[], device: string, fromMs: number): string {
  const window = outcomes.filter((o) => o.at >= fromMs && o.device);
  const mine = window.filter((o) => o.device === device).length;
  return window.length ? `${((100 * mine) / window.length).toFixed(0)}% (${mine} of ${window.length})` : 'nothing answered';
}

async function timeUntil(what: () => Promise<boolean>, fromMs: number, load: FaultLoad, timeoutMs = 30_000): Promise<string> {
  try {
    await waitFor(async () => ((await what()) ? true : undefined), timeoutMs, 'condition');
    return `${((load.elapsed() - fromMs) / 1000).toFixed(1)} s`;
  } catch {
    return `not within ${timeoutMs / 1000} s`;
  }
}

/** SIGKILL of `name` on `host` at the fault, started again at once; notes how long it took to come back. */
function killAndRestart(host: string, name: string, what: string, backAs: string, meanwhile = ''): Scenario {
  return {
    what: `SIGKILL of ${what} at 5 s, started again at once${meanwhile}`,
    durationMs: 20_000,
    async run({ bed, load, at }) {
      await at(FAULT_AT_MS);
      await bed.kill(host, name);
      const back = load.elapsed();
      await bed.restart(host, name);
      return { notes: [`${backAs} again ${((load.elapsed() - back) / 1000).toFixed(1)} s after the kill`] };
    },
  };
}

/** How long after `sinceWallMs` the app `name` first logged a line matching `pattern`, from its JSON log's timestamps. */
function sinceIn(bed: NetnsBed, name: string, pattern: RegExp, sinceWallMs: number): string {
  for (const p of bed.procs.filter((x) => x.name === name)) {
    for (const line of p.log.split('\n')) {
      if (!pattern.test(line)) continue;
      const at = Number(/"timestamp":(\d+)/.exec(line)?.[1]);
      if (at >= sinceWallMs) return `${((at - sinceWallMs) / 1000).toFixed(1)} s`;
    }
  }
  return 'never';
}

/** How long after `fromMs` (load time) the first request that `device` answered was sent, so far. */
function firstServedAfter(load: FaultLoad, device: string, fromMs: number): string {
  const first = load.outcomes.filter((o) => o.device === device && o.at >= fromMs).reduce((m, o) => Math.min(m, o.at), Infinity);
  return Number.isFinite(first) ? `${((first - fromMs) / 1000).toFixed(1)} s` : 'never';
}

const placedOn = async (bed: NetnsBed, device: string) => (await replicasOf(bed.gatewayUrl, FN)).includes(device);

/** Whether the placement still holds `device`'s key with the function, serving or away. */
async function keyHeld(bed: NetnsBed, device: string): Promise<boolean> {
  const { placement } = (await http(`${bed.gatewayUrl}/v1/placement`)).json() as {
    placement: { device: string; assignments: { fn: string }[] }[];
  };
  return placement.some((p) => p.device === device && p.assignments.some((a) => a.fn === FN));
}

const SCENARIOS: Record<string, Scenario> = {
  'worker-kill': {
    what: 'SIGKILL of the worker on h2 at 5 s; started again at 12 s',
    durationMs: 24_000,
    async run({ bed, load, deviceOf, at }) {
      await at(FAULT_AT_MS);
      await bed.kill('h2', 'worker');
      await at(12_000);
      const back = load.elapsed();
      await bed.restart('h2', 'worker');
      const placed = await timeUntil(() => placedOn(bed, deviceOf('h2')), back, load);
      await at(19_000);
      return {
        notes: [`h2 placed again ${placed} after its restart, answered again ${firstServedAfter(load, deviceOf('h2'), back)} after it`],
        shareOf: { device: deviceOf('h2'), fromMs: 19_000 },
      };
    },
  },
  'host-cut': {
    what: 'h2 (a worker host, with its NATS node) cut off at 5 s; link restored at 12 s',
    durationMs: 26_000,
    async run({ bed, load, deviceOf, at }) {
      const device = deviceOf('h2');
      await at(FAULT_AT_MS);
      const cutAt = Date.now();
      bed.cut('h2');
      await at(12_000);
      const keptAtRestore = await keyHeld(bed, device);
      const restoredAt = load.elapsed();
      bed.restore('h2');
      await at(21_000);
      const gone = new RegExp(`device ${device} is gone`);
      const lost = new RegExp(`device ${device} lost`);
      return {
        notes: [
          `the gateway stopped routing to h2 ${sinceIn(bed, 'gateway', gone, cutAt)} after the cut, the scheduler declared it lost ${sinceIn(bed, 'scheduler', lost, cutAt)} after`,
          `its placement key was ${keptAtRestore ? 'kept for its return' : 'removed'}; h2 answered again ${firstServedAfter(load, device, restoredAt)} after the restore`,
        ],
        shareOf: { device, fromMs: 21_000 },
      };
    },
  },
  'worker-nats-kill': {
    what: "SIGKILL of h2's nats-server (the worker there reconnects to another node) at 5 s; started again at 12 s",
    durationMs: 22_000,
    async run({ bed, deviceOf, at }) {
      await at(FAULT_AT_MS);
      await bed.kill('h2', 'nats');
      await at(12_000);
      await bed.restart('h2', 'nats');
      return { notes: [], shareOf: { device: deviceOf('h2'), fromMs: 17_000 } };
    },
  },
  'nats-restart': killAndRestart('h1', 'nats', "h1's nats-server (the gateway's and the scheduler's)", "h1's server healthy"),
  'gateway-restart': killAndRestart('h1', 'gateway', 'the only gateway', 'gateway up', ' (producers meet no responders meanwhile)'),
  'scheduler-failover': {
    what: 'a standby scheduler on h1; SIGKILL of the leader at 5 s, then a new function deployed',
    durationMs: 24_000,
    async setup(bed) {
      await bed
        .start('h1', 'scheduler-b', 'scheduler', { ...schedulerEnv(bed), EPARA_SCHEDULER_ID: 'scheduler-b' })
        .waitForLog(/ up;/, 60_000);
    },
    async run({ bed, load, at }) {
      const nc = await connect({ servers: bed.host('h1').natsUrl, name: 'faults-leader-probe' });
      try {
        const kv = await new Kvm(nc).open('epara_leader');
        const leader = async () => {
          const e = await kv.get('scheduler');
          return e && e.operation === 'PUT' ? (JSON.parse(Buffer.from(e.value).toString()) as { id: string }).id : undefined;
        };
        const before = await leader();
        await at(FAULT_AT_MS);
        await bed.kill('h1', before === 'scheduler-b' ? 'scheduler-b' : 'scheduler');
        const took = await timeUntil(
          async () => {
            const now = await leader();
            return !!now && now !== before;
          },
          FAULT_AT_MS,
          load,
        );
        const deployedAt = load.elapsed();
        const r = await deployMultipart(bed.gatewayUrl, { name: 'after-failover', kind: 'tensor', slo: { latencyMs: 1000 } }, buildCnn());
        const placed =
          r.status === 201
            ? await timeUntil(async () => (await replicasOf(bed.gatewayUrl, 'after-failover')).length > 0, deployedAt, load)
            : `deploy answered ${r.status}`;
        return { notes: [`the standby held the lock ${took} after the kill`, `a function deployed afterwards was placed ${placed} later`] };
      } finally {
        await nc.close();
      }
    },
  },
  'async-worker-crash': {
    what: '300 async requests submitted over 3 s from 1 s on; SIGKILL of the worker on h2 at 2.5 s',
    durationMs: 12_000,
    async run({ bed, at }) {
      await at(1000);
      const ids: string[] = [];
      const refused: string[] = [];
      const submitting = (async () => {
        for (let i = 0; i < ASYNC_REQUESTS; i++) {
          const r = await http(`${bed.gatewayUrl}/v1/functions/${FN}/async`, {
            method: 'POST',
            headers: { 'content-type': 'application/msgpack' },
            body: BODY,
          });
          if (r.status === 202) ids.push(r.json<{ id: string }>().id);
          else refused.push(`${r.status} ${r.body.toString().slice(0, 120)}`);
          await sleep(10);
        }
      })();
      await at(2500);
      await bed.kill('h2', 'worker');
      await submitting;
      const status = new Map<string, string>();
      const until = Date.now() + 60_000;
      while (Date.now() < until && status.size < ids.length) {
        for (const id of ids) {
          if (status.has(id)) continue;
          const r = await http(`${bed.gatewayUrl}/v1/requests/${id}`);
          const st = r.status === 200 ? r.json<{ status: string }>().status : `http ${r.status}`;
          if (st === 'done' || st === 'failed') status.set(id, st);
        }
        if (status.size < ids.length) await sleep(500);
      }
      const done = [...status.values()].filter((v) => v === 'done').length;
      const failed = status.size - done;
      return {
        notes: [
          `async: ${ids.length} accepted${refused.length ? `, ${refused.length} refused (${refused[0]})` : ''}, ${done} done, ${failed} failed, ${ids.length - status.size} unfinished 60 s after the last`,
        ],
      };
    },
  },
};

/** Minutes of the soak (--soak-minutes); 0: no soak. */
const SOAK_MINUTES = args.num('soak-minutes', 0);
/** The soak's rate: about 70% of what the bed served at most on this machine (--soak-rate). */
const SOAK_RATE = args.num('soak-rate', 150);
/** Samples of the first part of a soak are left out of the RSS slope: caches and JIT still fill. */
const SOAK_WARMUP_SHARE = 0.2;
const RSS_SAMPLE_MS = 10_000;

/** Resident memory of a process group (role.mjs and the server or app it runs), bytes. */
function groupRssBytes(pgid: number): number | undefined {
  const r = spawnSync('ps', ['-o', 'rss=', '-g', String(pgid)], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  const kb = r.stdout
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => n > 0);
  return kb.length ? kb.reduce((a, b) => a + b, 0) * 1024 : undefined;
}

/** Least-squares slope of (t ms, bytes) samples, in MB per 10 minutes. */
function slopeMbPer10Min(samples: [number, number][]): number {
  const n = samples.length;
  if (n < 2) return 0;
  const mt = samples.reduce((a, [t]) => a + t, 0) / n;
  const mb = samples.reduce((a, [, b]) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (const [t, b] of samples) {
    num += (t - mt) * (b - mb);
    den += (t - mt) ** 2;
  }
  return den ? ((num / den) * 600_000) / 1e6 : 0;
}

if (SOAK_MINUTES > 0)
  SCENARIOS.soak = {
    what: `${SOAK_MINUTES} min at ${SOAK_RATE} req/s, no fault; RSS of every process sampled every ${RSS_SAMPLE_MS / 1000} s`,
    durationMs: SOAK_MINUTES * 60_000,
    rate: SOAK_RATE,
    async run({ bed, load }) {
      const series = new Map<string, [number, number][]>();
      const end = SOAK_MINUTES * 60_000;
      while (load.elapsed() < end - RSS_SAMPLE_MS) {
        for (const p of bed.procs.filter((x) => x.running && x.proc.pid)) {
          const rss = groupRssBytes(p.proc.pid!);
          const key = `${p.name}@${p.host.name}`;
          if (rss !== undefined) series.set(key, [...(series.get(key) ?? []), [load.elapsed(), rss]]);
        }
        await sleep(RSS_SAMPLE_MS);
      }
      const from = end * SOAK_WARMUP_SHARE;
      const notes = [...series.entries()].map(([key, samples]) => {
        const kept = samples.filter(([t]) => t >= from);
        const last = samples.at(-1)![1];
        return `${key} ${(last / 1e6).toFixed(0)} MB at the end, ${slopeMbPer10Min(kept).toFixed(2)} MB per 10 min after the first ${Math.round((from / 60_000) * 10) / 10} min`;
      });
      // Printed as well as returned: a soak is long to run again.
      for (const n of notes) console.log(`[bench:faults] soak: ${n}`);
      return { notes };
    },
  };

/** How many durable invocations the async scenario submits. */
const ASYNC_REQUESTS = 300;

/** The environment the bed gave its first scheduler, for a standby beside it. */
function schedulerEnv(bed: NetnsBed): Record<string, string> {
  const first = bed.procs.find((p) => p.name === 'scheduler');
  return { ...(first?.env ?? {}) };
}

interface ScenarioResult {
  name: string;
  what: string;
  sent: number;
  ok: number;
  byKind: Record<string, number>;
  lost: number;
  /** Requests scheduled from the fault − SLO on (they could still meet their deadline) that did not: share. */
  missedAfterFault: number;
  afterFault: number;
  /** ms from the fault until the last second with < 99% good requests ended; 0 when none. */
  recoveryMs: number;
  lagP99Ms: number;
  notes: string[];
}

function judge(name: string, s: Scenario, outcomes: Outcome[], lagP99Ms: number, notes: string[]): ScenarioResult {
  const byKind: Record<string, number> = {};
  for (const o of outcomes) byKind[o.kind] = (byKind[o.kind] ?? 0) + 1;
  const after = outcomes.filter((o) => o.at >= FAULT_AT_MS - SLO_MS);
  const missed = after.filter((o) => o.kind !== 'ok').length;
  let lastBadEnd = 0;
  // Per second from the fault on: requests and good ones (a soak has hundreds of thousands: one pass).
  const perSecond = new Map<number, { all: number; good: number }>();
  for (const o of outcomes) {
    if (o.at < FAULT_AT_MS) continue;
    const sec = Math.floor(o.at / 1000);
    const b = perSecond.get(sec) ?? { all: 0, good: 0 };
    b.all++;
    if (o.kind === 'ok') b.good++;
    perSecond.set(sec, b);
  }
  for (const [sec, b] of perSecond) if (b.good < 0.99 * b.all) lastBadEnd = Math.max(lastBadEnd, (sec + 1) * 1000);
  return {
    name,
    what: s.what,
    sent: outcomes.length,
    ok: byKind.ok ?? 0,
    byKind,
    lost: byKind.lost ?? 0,
    missedAfterFault: after.length ? missed / after.length : 0,
    afterFault: after.length,
    recoveryMs: lastBadEnd ? lastBadEnd - FAULT_AT_MS : 0,
    lagP99Ms,
    notes,
  };
}

async function runScenario(name: string, s: Scenario): Promise<ScenarioResult> {
  const netns = await loadNetns();
  console.log(`[bench:faults] ${name}: building the bed …`);
  const bed = await netns.upCluster({ appEnv: PROCESS_APP_ENV });
  try {
    await s.setup?.(bed);
    const r = await deployMultipart(
      bed.gatewayUrl,
      { name: FN, kind: 'tensor', slo: { latencyMs: SLO_MS }, hints: { replicas: 2 } },
      buildCnn(),
    );
    if (r.status !== 201) throw new Error(`deploy failed: ${r.status} ${r.body.toString()}`);
    await waitFor(async () => ((await replicasOf(bed.gatewayUrl, FN)).length === 2 ? true : undefined), 30_000, 'two replicas');
    await waitFor(async () => ((await http(`${bed.gatewayUrl}/v2/models/${FN}/ready`)).status === 200 ? true : undefined), 30_000, 'ready');
    const producer = await connect({ servers: bed.host('h3').natsUrl, name: 'faults-producer', maxReconnectAttempts: -1 });
    try {
      // Warm the producer's inbox interest across the cluster before counting anything.
      await producer.request(`epara.v1.invoke.${FN}`, BODY, { timeout: 5000 }).catch(() => undefined);
      console.log(`[bench:faults] ${name}: ${s.what}`);
      const load = new FaultLoad(producer, s.rate ?? RATE);
      const at = async (ms: number) => {
        const wait = ms - load.elapsed();
        if (wait > 0) await sleep(wait);
      };
      const { notes, shareOf } = await s.run({ bed, load, deviceOf: netns.deviceOf, at });
      await at(s.durationMs);
      const { outcomes, lagP99Ms } = await load.stop();
      if (shareOf)
        notes.push(
          `${shareOf.device}'s share of the answers from ${shareOf.fromMs / 1000} s on: ${shareServedBy(outcomes, shareOf.device, shareOf.fromMs)}`,
        );
      const lost = outcomes.filter((o) => o.kind === 'lost');
      if (lost.length)
        notes.push(
          `lost requests were sent at ${lost
            .slice(0, 5)
            .map((o) => new Date(load.startedAtWall + o.at).toISOString().slice(11, 23))
            .join(', ')}${lost.length > 5 ? ', …' : ''} UTC (for the logs)`,
        );
      const result = judge(name, s, outcomes, lagP99Ms, notes);
      console.log(`[bench:faults] ${name}: ${formatKinds(result.byKind)}; ${result.notes.join('; ')}`);
      return result;
    } finally {
      await producer.close().catch(() => undefined);
    }
  } finally {
    if (LOGS_DIR) writeLogs(bed, join(LOGS_DIR, name));
    await bed.destroy(2000);
  }
}

/** Keeps what each process of the bed logged (its last part), one file per process, for a post-mortem. */
function writeLogs(bed: NetnsBed, dir: string): void {
  mkdirSync(dir, { recursive: true });
  bed.procs.forEach((p, i) => writeFileSync(join(dir, `${i}-${p.host.name}-${p.name}.log`), p.log));
  console.log(`[bench:faults] logs of every process in ${dir}`);
}

function formatKinds(byKind: Record<string, number>): string {
  return Object.entries(byKind)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
}

async function main(): Promise<void> {
  const why = netnsUnavailableReason();
  if (why) throw new Error(`bench:faults needs the netns bed: ${why}`);
  const names = args.has('scenarios') ? args.str('scenarios', '').split(',').filter(Boolean) : Object.keys(SCENARIOS);
  // (the soak is among them only when --soak-minutes is given)
  for (const n of names) if (!SCENARIOS[n]) throw new Error(`unknown scenario ${n}; known: ${Object.keys(SCENARIOS).join(', ')}`);
  const started = new Date().toISOString();
  console.log(`[bench:faults] ${machineLine()}`);
  console.log(`[bench:faults] ${RATE} req/s open loop, SLO ${SLO_MS} ms, lost = no answer ${GRACE_MS} ms after the deadline`);
  const results: ScenarioResult[] = [];
  for (const n of names) results.push(await runScenario(n, SCENARIOS[n]));
  const table = markdownTable(
    ['scenario', 'sent', 'ok', 'errors', 'lost', 'missed after the fault', 'recovery', 'client lag p99'],
    results.map((r) => [
      r.name,
      r.sent,
      r.ok,
      formatKinds(Object.fromEntries(Object.entries(r.byKind).filter(([k]) => k !== 'ok' && k !== 'lost'))) || '—',
      r.lost,
      `${(100 * r.missedAfterFault).toFixed(2)}% of ${r.afterFault}`,
      `${(r.recoveryMs / 1000).toFixed(0)} s`,
      `${r.lagP99Ms.toFixed(1)} ms`,
    ]),
  );
  const notes = results.map((r) => `- **${r.name}**: ${r.what}. ${r.notes.join('; ')}.`).join('\n');
  const md = `## Fault suite (\`npm run bench:faults\`) — ${started}\n\n${machineLine()}\n\n${table}\n\n${notes}\n`;
  console.log(`\n${md}`);
  maybeWriteReport(args, md);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
