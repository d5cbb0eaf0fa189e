/** One replica of a function as a gateway sees it: the worker's last state plus the gateway's own count. */
export interface ReplicaLoad {
  device: string;
  /** The worker reports the function loaded and serving. */
  ready: boolean;
  /** Age of the state snapshot, ms (now − heartbeat time). */
  ageMs: number;
  /** Requests waiting on the device (the device total: functions on one device share its compute). */
  queued: number;
  /** Requests in running batches on the device. */
  running: number;
  /** Requests this gateway sent there and has no reply for yet: fresher than the heartbeat. */
  localInflight: number;
  /** EWMA of the function's batch-1 time there, ms: tie-break toward the faster device. */
  execMsEwma: number;
}

/** A replica of a `batch`-mode function: also its own queue and preferred batch size there. */
export interface BatchReplicaLoad extends ReplicaLoad {
  /** This function's requests waiting there: the caller's freshest estimate (heartbeat plus sent since). */
  fnQueued: number;
  preferredBatchSize: number;
}

export interface RouteParams {
  /** A snapshot older than this, ms, is not trusted: the worker may be gone. Min 0. Default 3000 (3 heartbeats). */
  staleAfterMs: number;
}

export const DEFAULT_ROUTE_PARAMS: Readonly<RouteParams> = Object.freeze({ staleAfterMs: 3000 });

/** Where one request goes: a replica (by index into the candidates) or nowhere. */
export type RouteDecision = { kind: 'replica'; index: number; device: string; reason: string } | { kind: 'none'; reason: string };
