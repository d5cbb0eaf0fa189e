import { OptionKind, OptionSpec } from '../args';
import { CliError } from '../cli-io';

export const STREAM_OPTIONS: OptionSpec[] = [
  { name: 'count', kind: OptionKind.Int, value: 'N', help: 'stop after N messages (default: until Ctrl-C)' },
  { name: 'timeout', kind: OptionKind.Int, value: 'MS', help: 'stop after MS milliseconds; with --count, fewer than N is an error' },
];

/**
 * Ends a streaming command: calls `stop` when `signal` aborts (Ctrl-C) or `timeoutMs` passes. The stream's
 * own end (count reached, connection closed) needs no help. `dispose()` clears the timer and listener.
 */
export class StreamStopper {
  private timer?: NodeJS.Timeout;
  private timedOutFlag = false;
  private readonly onAbort = () => this.stop();

  constructor(
    private readonly stop: () => void,
    timeoutMs: number | undefined,
    private readonly signal: AbortSignal | undefined,
  ) {
    if (timeoutMs !== undefined) {
      this.timer = setTimeout(() => {
        this.timedOutFlag = true;
        this.stop();
      }, timeoutMs);
    }
    if (signal?.aborted) queueMicrotask(this.onAbort);
    else signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  get timedOut(): boolean {
    return this.timedOutFlag;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this.onAbort);
  }
}

/** A stream that stopped on --timeout before --count messages arrived is a failure the caller can script on. */
export function checkCount(
  what: string,
  received: number,
  count: number | undefined,
  stopper: StreamStopper,
  timeoutMs: number | undefined,
): void {
  if (count !== undefined && received < count && stopper.timedOut) {
    throw new CliError(`timed out after ${timeoutMs} ms with ${received} of ${count} ${what}`);
  }
}
