import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export type AppName = 'gateway' | 'worker' | 'scheduler';

const ROOT = join(__dirname, '..', '..');

export function appEntry(app: AppName): string {
  const entry = join(ROOT, 'dist', 'apps', app, 'apps', app, 'src', 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: build first (npm run build; npm test does it for you)`);
  return entry;
}

/** An app running as its own process, as in production: it can be killed like a crashed device. */
export class AppProcess {
  private readonly proc: ChildProcess;
  private log = '';
  readonly exited: Promise<number | null>;

  constructor(
    readonly app: AppName,
    env: Record<string, string>,
  ) {
    this.proc = spawn(process.execPath, [appEntry(app)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d: Buffer) => {
      this.log = (this.log + d.toString()).slice(-20_000);
    };
    this.proc.stdout!.on('data', keep);
    this.proc.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => this.proc.once('exit', (code) => resolve(code)));
  }

  get pid(): number {
    return this.proc.pid!;
  }

  get output(): string {
    return this.log;
  }

  /** Waits until the app logs `marker` (e.g. its "up" line). */
  async waitForLog(marker: RegExp, timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!marker.test(this.log)) {
      if (this.proc.exitCode !== null) throw new Error(`${this.app} exited with ${this.proc.exitCode}:\n${this.log}`);
      if (Date.now() > until) throw new Error(`${this.app} did not log ${marker} in ${timeoutMs} ms:\n${this.log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGKILL: no drain, no goodbye — what a power loss or a crash looks like to the cluster. */
  async crash(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    this.proc.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}
