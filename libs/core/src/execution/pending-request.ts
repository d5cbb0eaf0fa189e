import { EparaError, InvocationResult, PreparedRequest } from '@epara/contracts';

/** How a request was served, for the reply headers and metrics. */
export interface ServedInfo {
  batchSize: number;
  queueMs: number;
  execMs: number;
}

/** One request waiting on a device. The executor owns it from `enqueue` until `settle` is called once. */
export interface PendingRequest {
  fn: string;
  prepared: PreparedRequest;
  requestId: string;
  arrivalMs: number;
  deadlineMs: number;
  /** Called exactly once: with the result, or with the error to answer. */
  settle: (outcome: { result: InvocationResult; served: ServedInfo } | { error: EparaError; served?: ServedInfo }) => void;
}
