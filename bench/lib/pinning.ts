import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';

/**
 * `--pin` (or EPARA_BENCH_PIN=1): the platform (nats-server and every app) runs on CPU 0 and this
 * process — the load generator — on CPU 1, so that an overload row measures the platform, not a
 * generator starved by it (unpinned, an open-loop client at 2× capacity lagged its schedule by
 * hundreds of ms on the 2-core machine). Needs util-linux's `taskset` and at least two CPUs.
 */
export const PIN = process.argv.includes('--pin') || process.env.EPARA_BENCH_PIN === '1';
export const PLATFORM_CPUS = '0';
export const GENERATOR_CPUS = '1';

/** Sets the CPU affinity of every thread of `pid` (threads it starts later inherit it). */
export function pinProcess(pid: number, cpuList: string): void {
  execFileSync('taskset', ['-a', '-cp', cpuList, String(pid)], { stdio: 'ignore' });
}

/** Pins this process to the generator's CPU once, when pinning is asked for; says what it did. */
let pinnedSelf = false;
export function pinGenerator(): void {
  if (!PIN || pinnedSelf) return;
  if (cpus().length < 2) throw new Error('--pin needs at least two CPUs (platform on CPU 0, load generator on CPU 1)');
  pinProcess(process.pid, GENERATOR_CPUS);
  pinnedSelf = true;
  console.log(
    `[bench] pinned: platform (nats-server, apps) on CPU ${PLATFORM_CPUS}, load generator (this process) on CPU ${GENERATOR_CPUS}`,
  );
}

/** The platform's processes, pinned when asked for. */
export function pinPlatform(pid: number | undefined): void {
  if (PIN && pid !== undefined) pinProcess(pid, PLATFORM_CPUS);
}

/** A line for reports: how processes were placed on CPUs. */
export function pinningLine(): string {
  return PIN
    ? `Pinned (\`--pin\`): nats-server and the apps on CPU ${PLATFORM_CPUS}, the load generator (the benchmark process) on CPU ${GENERATOR_CPUS}.`
    : 'Not pinned: the apps, nats-server and the load generator share both CPUs.';
}
