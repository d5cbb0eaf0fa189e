import type { EparaError } from '@epara/contracts';
import type { PendingRequest, ServedInfo } from '@epara/core/execution/pending-request';
import type { PreparedRequest } from '@epara/contracts/prepared-request';

/** Where the executor reports a request it answered with an error (deadline drop, unload). */
export interface SettleSink {
  onError(r: SimRequest, code: number): void;
}

/**
 * One simulated request, as the DeviceExecutor sees it (a PendingRequest). Successful runs are
 * completed by the simulated worker directly; `settle` only carries the executor's own error answers.
 */
export class SimRequest implements PendingRequest {
  readonly fn: string;
  readonly prepared: PreparedRequest;
  readonly requestId = '';
  /** Arrival at the worker, ms (set when it gets there). */
  arrivalMs = 0;
  readonly deadlineMs: number;
  /** Device it was routed to (index), -1 before routing. */
  device = -1;
  /** Already retried once after "no responders" (the gateway's relay path retries once). */
  retried = false;
  /** From the worker's reply to the producer, ms. */
  replyDelayMs = 0;

  constructor(
    readonly fnIndex: number,
    fnName: string,
    prepared: unknown,
    /** Scheduled send time at the producer, ms: latency is measured from here. */
    readonly sendMs: number,
    sloMs: number,
    private readonly sink: SettleSink,
  ) {
    this.fn = fnName;
    this.prepared = prepared as PreparedRequest;
    this.deadlineMs = sendMs + sloMs;
  }

  settle(outcome: { error: EparaError; served?: ServedInfo } | { result: unknown; served: ServedInfo }): void {
    this.sink.onError(this, 'error' in outcome ? outcome.error.code : 500);
  }
}
