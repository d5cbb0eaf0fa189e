/** What a StepLoop drives: an engine that runs its work one step at a time. */
export interface StepLoopHooks {
  /** Whether anything waits or runs: the loop goes on while this is true. */
  hasWork(): boolean;
  /** One step; resolves true when it found nothing it could run (the loop then waits 1 ms, never spins). */
  step(): Promise<boolean>;
  /** Ends everything left, once stopping: called instead of the next step. */
  endAll(): void;
  /** The loop itself threw (a bug in the engine, not in a step's model run): fail what is left. */
  crashed(e: unknown): void;
}

/**
 * The loop of an iteration-level engine (GenerationEngine, VadStreamEngine): runs `step` while there
 * is work, with the event loop between steps (`setImmediate`) so that submits, cancels and timers get
 * their turn. `kick` starts it on the next turn, so work submitted together (one tick) joins the same
 * first step. `stop` ends what is left after the step in flight and resolves when the loop has exited.
 */
export class StepLoop {
  private looping = false;
  private stoppingNow = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly hooks: StepLoopHooks) {}

  /** Whether `stop` was called: engines refuse new work then. */
  get stopping(): boolean {
    return this.stoppingNow;
  }

  kick(): void {
    if (this.looping) return;
    this.looping = true;
    setImmediate(() => this.run().catch((e) => this.hooks.crashed(e)));
  }

  /** Resolves when nothing runs (at once when idle). */
  whenIdle(): Promise<void> {
    if (!this.looping) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.stoppingNow = true;
    if (!this.looping) this.hooks.endAll();
    await this.whenIdle();
  }

  private async run(): Promise<void> {
    try {
      while (this.hooks.hasWork()) {
        if (this.stoppingNow) {
          this.hooks.endAll();
          break;
        }
        const idle = await this.hooks.step();
        await new Promise<void>((resolve) => (idle ? setTimeout(resolve, 1) : setImmediate(resolve)));
      }
    } finally {
      // Synchronous with the last emptiness check: work submitted after this starts a new loop.
      this.looping = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
