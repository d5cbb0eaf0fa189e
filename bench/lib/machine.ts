/**
 * How busy the machine is (the benchmark shares 2 cores with whatever else runs): a CPU-busy sample
 * from /proc/stat and the load average, recorded with every report so noisy runs can be told apart.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

function cpuTimes(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = v[3] + (v[4] ?? 0); // idle + iowait
    const total = v.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/** Share of all CPUs busy over `ms` (0..1), machine-wide; NaN where /proc/stat is absent. */
export async function cpuBusyShare(ms = 1000): Promise<number> {
  const a = cpuTimes();
  await new Promise((r) => setTimeout(r, ms));
  const b = cpuTimes();
  if (!a || !b || b.total === a.total) return NaN;
  return (b.busy - a.busy) / (b.total - a.total);
}

/**
 * How fast one core is right now: ms for a fixed integer loop (10⁸ additions), best of 3. On this
 * shared virtual machine it took 30 ms and 57 ms a few minutes apart, idle both times; a benchmark
 * figure is comparable with another only at a similar probe.
 */
export function cpuProbeMs(): number {
  let best = Infinity;
  for (let k = 0; k < 3; k++) {
    const t0 = performance.now();
    let x = 0;
    for (let i = 0; i < 1e8; i++) x = (x + i) | 0;
    best = Math.min(best, performance.now() - t0);
    probeSink ^= x; // the result is used, so the loop cannot be optimised away
  }
  return best;
}
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- a sink: written, never read
let probeSink = 0;

export function loadLine(): string {
  const [one, five] = loadavg();
  return `load average ${one.toFixed(2)} (1 min) / ${five.toFixed(2)} (5 min)`;
}

/**
 * Waits (up to `maxWaitMs`) until the machine is below `busyBelow` CPU busy over a 1 s sample, so a
 * benchmark does not start on top of someone else's build; returns the last sample.
 */
export async function waitQuiet(busyBelow = 0.25, maxWaitMs = 60_000): Promise<number> {
  const until = Date.now() + maxWaitMs;
  let share = await cpuBusyShare(1000);
  while (share >= busyBelow && Date.now() < until) {
    console.log(
      `[bench] machine ${(share * 100).toFixed(0)}% busy; waiting for it to quiet down (up to ${Math.round((until - Date.now()) / 1000)} s more, --no-wait to skip)`,
    );
    share = await cpuBusyShare(2000);
  }
  return share;
}

const TICKS_PER_SEC = 100; // USER_HZ on Linux

/** CPU time a process has used (user + system), ms; undefined when it is gone or not on Linux. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is state (field 3); utime and stime are fields 14 and 15.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SEC;
  } catch {
    return undefined;
  }
}

/** Child processes of this process whose command name is `comm` (e.g. the private nats-server). */
export function childPidsNamed(comm: string): number[] {
  const out: number[] = [];
  try {
    for (const e of readdirSync('/proc')) {
      if (!/^\d+$/.test(e)) continue;
      try {
        const status = readFileSync(`/proc/${e}/status`, 'utf8');
        const name = /^Name:\s+(.+)$/m.exec(status)?.[1];
        const ppid = Number(/^PPid:\s+(\d+)$/m.exec(status)?.[1]);
        if (name === comm && ppid === process.pid) out.push(Number(e));
      } catch {
        /* gone */
      }
    }
  } catch {
    /* no /proc */
  }
  return out;
}

/** Measures the CPU share (cores busy, 1.0 = one full core) of named processes over an interval. */
export class CpuMeter {
  private start = new Map<string, number>();
  private t0 = 0;
  private machine0?: { busy: number; total: number };
  constructor(private readonly pids: Record<string, number>) {}
  begin(): this {
    this.t0 = performance.now();
    this.machine0 = cpuTimes();
    for (const [name, pid] of Object.entries(this.pids)) {
      const v = processCpuMs(pid);
      if (v !== undefined) this.start.set(name, v);
    }
    return this;
  }
  /** name → cores used on average since begin(). */
  end(): Record<string, number> {
    const wall = performance.now() - this.t0;
    const out: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.pids)) {
      const a = this.start.get(name);
      const b = processCpuMs(pid);
      if (a !== undefined && b !== undefined && wall > 0) out[name] = (b - a) / wall;
    }
    // Everything else on the machine meanwhile (other tenants, builds, tests): the noise.
    const m1 = cpuTimes();
    if (this.machine0 && m1 && m1.total > this.machine0.total) {
      const machineCores = ((m1.busy - this.machine0.busy) / (m1.total - this.machine0.total)) * cpus().length;
      const ours = Object.values(out).reduce((x, y) => x + y, 0);
      out.others = Math.max(0, machineCores - ours);
    }
    return out;
  }
}

/** `client 0.62 · gateway 0.48 · worker 0.71 · nats 0.20` (cores). */
export function formatCpu(c: Record<string, number> | undefined): string {
  if (!c) return '—';
  return Object.entries(c)
    .map(([k, v]) => `${k} ${v.toFixed(2)}`)
    .join(' · ');
}
