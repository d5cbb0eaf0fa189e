/**
 * How busy the machine is (the benchmark shares 2 cores with whatever else runs): a CPU-busy sample
 * from /proc/stat and the load average, recorded with every report so noisy runs can be told apart.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

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
    console.log(`[bench] machine ${(share * 100).toFixed(0)}% busy; waiting for it to quiet down (up to ${Math.round((until - Date.now()) / 1000)} s more, --no-wait to skip)`);
    share = await cpuBusyShare(2000);
  }
  return share;
}
