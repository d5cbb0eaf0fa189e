// Child processes with prefixed, colored log lines, the last lines of each kept for post-mortems, and an
// orderly stop (SIGTERM, then SIGKILL after a grace period).
import { spawn } from 'node:child_process';
import { color, useColor } from './log.mjs';

const PALETTE = [color.cyan, color.magenta, color.yellow, color.green, color.blue];
const KEEP_LINES = 200;

export class Supervisor {
  /** @param onUnexpectedExit (child, code, signal) => void: a child ended while nothing asked it to. */
  constructor({ onUnexpectedExit }) {
    this.children = [];
    this.stopping = false;
    this.onUnexpectedExit = onUnexpectedExit;
    this.width = 9;
    // Last resort if this script dies on an error: no child outlives it.
    process.on('exit', () => {
      for (const c of this.children) if (c.running) c.proc.kill('SIGKILL');
    });
  }

  /**
   * Starts `command args` as `name`. `infra` children (nats-server) stop after the others. `echo` picks the
   * lines printed (all are kept for post-mortems). Returns the child record:
   * { name, proc, lines, running, exited: Promise<{code, signal}> }.
   */
  spawn(name, command, args, { env = process.env, cwd, infra = false, echo = () => true } = {}) {
    const paint = PALETTE[this.children.length % PALETTE.length];
    this.width = Math.max(this.width, name.length);
    // Own process group: a Ctrl-C in the terminal reaches this script only, which then stops children in order.
    const proc = spawn(command, args, {
      cwd,
      env: useColor ? env : { NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
    });
    const child = { name, proc, infra, lines: [], running: true, lineWaiters: [] };
    const print = (line) => {
      child.lines.push(line);
      if (child.lines.length > KEEP_LINES) child.lines.shift();
      for (const w of child.lineWaiters) if (w.re.test(line)) w.resolve(line);
      if (echo(line)) console.log(`${paint(`[${name}]`.padEnd(this.width + 2))} ${line}`);
    };
    for (const stream of [proc.stdout, proc.stderr]) {
      let partial = '';
      stream.on('data', (chunk) => {
        const parts = (partial + chunk.toString()).split('\n');
        partial = parts.pop();
        for (const line of parts) print(line.replace(/\r$/, ''));
      });
      stream.on('end', () => partial && print(partial));
    }
    child.exited = new Promise((resolve) => {
      const ended = (code, signal, error) => {
        if (!child.running) return; // 'close' may follow 'error'
        child.running = false;
        resolve({ code, signal, error });
        if (!this.stopping) this.onUnexpectedExit(child, code, signal);
      };
      proc.once('error', (e) => {
        print(`could not start ${command}: ${e.message}`);
        ended(null, null, e);
      });
      // 'close' comes after the last output line, so a post-mortem shows everything the child said.
      proc.once('close', (code, signal) => ended(code, signal));
    });
    this.children.push(child);
    return child;
  }

  /** Resolves with the first line of `child` matching `re`; rejects when it exits first or after timeoutMs. */
  waitForLine(child, re, timeoutMs) {
    return new Promise((resolve, reject) => {
      const waiter = { re, resolve: (line) => finish(() => resolve(line)) };
      const timer = setTimeout(() => finish(() => reject(new Error(`no line matching ${re} within ${timeoutMs / 1000} s`))), timeoutMs);
      const finish = (then) => {
        clearTimeout(timer);
        child.lineWaiters = child.lineWaiters.filter((w) => w !== waiter);
        then();
      };
      child.lineWaiters.push(waiter);
      child.exited.then(({ code, signal }) => finish(() => reject(new Error(`${child.name} exited (${signal ?? `code ${code}`})`))));
    });
  }

  lastLines(child, n = 20) {
    return child.lines.slice(-n);
  }

  /** SIGTERM, then SIGKILL after graceMs; resolves when the child has exited. */
  async stopChild(child, graceMs = 10_000) {
    if (!child.running) return;
    child.proc.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (child.running) {
        console.log(`${color.yellow('!')} ${child.name} did not stop in ${graceMs / 1000} s: SIGKILL`);
        child.proc.kill('SIGKILL');
      }
    }, graceMs);
    await child.exited;
    clearTimeout(timer);
  }

  /** Stops the apps (in parallel), then the infrastructure they use. */
  async stopAll(graceMs = 10_000) {
    this.stopping = true;
    await Promise.all(this.children.filter((c) => !c.infra).map((c) => this.stopChild(c, graceMs)));
    await Promise.all(this.children.filter((c) => c.infra).map((c) => this.stopChild(c, graceMs)));
  }
}
