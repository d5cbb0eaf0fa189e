import type { Mode } from '@epara/contracts/vocabulary';
import type { ServingPolicy } from '@epara/policy';
// Leaf modules, not the index: each call through a re-export costs a getter under tsx.
import type { ReplicaViewPort, RoutableReplica } from '@epara/core/gateway/replica-view';
import { RequestRouter } from '@epara/core/gateway/request-router';
import { RouteTarget } from '@epara/core/gateway/route';
import { Rng } from '@epara/workload';
import { SimWorker } from './sim-worker';

/** One routing candidate, reused across requests (no allocation per request). */
interface Candidate extends RoutableReplica {
  /** Device index. */
  index: number;
  /** The device's heartbeat count these fields were copied at. */
  beat: number;
}

const NO_CANDIDATES: readonly Candidate[] = [];

/**
 * A gateway in virtual time: the core's RequestRouter over this replica view (the placement's replica
 * lists, the workers' state as of their last heartbeat, this gateway's own in-flight count per device),
 * and the NATS queue group the router may hand a request to (uniform among the subscribed replicas).
 */
export class SimGateway implements ReplicaViewPort<number, Candidate> {
  /** Requests this gateway sent to each device and has no reply for. */
  readonly inflight: Int32Array;
  /** fn → device indices in the placement, in its order. */
  private placed: number[][];
  /** fn → device indices subscribed now (loaded, not retiring): the NATS queue group's members. */
  private readonly serving: number[][];
  /** fn → the mode its replicas are assigned (the subject's mode). */
  readonly modeOf: string[];
  private readonly candidates: Candidate[][];
  private readonly router: RequestRouter<number, Candidate>;
  /** The time the request being routed reaches the gateway: the heartbeat ages are taken at it. */
  private routingAtMs = 0;
  /**
   * Each device's last heartbeat: when, and its count (copied by `heartbeatFrom`). Kept here, packed,
   * because every request reads them for every replica of its function; the worker objects are
   * touched only when a newer heartbeat has to be copied into a candidate.
   */
  private readonly hbAtMs: Float64Array;
  private readonly hbCount: Int32Array;

  constructor(
    policy: ServingPolicy,
    private readonly workers: readonly SimWorker[],
    fnCount: number,
    private readonly rng: Rng,
  ) {
    this.inflight = new Int32Array(workers.length);
    this.hbAtMs = new Float64Array(workers.length).fill(-Infinity);
    this.hbCount = new Int32Array(workers.length);
    for (const w of workers) this.heartbeatFrom(w);
    this.placed = Array.from({ length: fnCount }, () => []);
    this.serving = Array.from({ length: fnCount }, () => []);
    this.candidates = Array.from({ length: fnCount }, () => []);
    this.modeOf = new Array<string>(fnCount).fill('dp');
    this.router = new RequestRouter(this, { policy, random: () => this.rng.next() });
  }

  /** A worker sent a heartbeat (it has updated its `hb*` fields). */
  heartbeatFrom(w: SimWorker): void {
    this.hbAtMs[w.index] = w.hbAtMs;
    this.hbCount[w.index] = w.hbCount;
  }

  /** The placement changed (KV `epara_placement` watch): new replica lists. */
  setPlacement(replicas: number[][], modes: string[]): void {
    this.placed = replicas;
    for (let f = 0; f < modes.length; f++) this.modeOf[f] = modes[f];
  }

  setServing(fn: number, device: number, serving: boolean): void {
    const list = this.serving[fn];
    const i = list.indexOf(device);
    if (serving && i < 0) list.push(device);
    else if (!serving && i >= 0) list.splice(i, 1);
  }

  replicaCount(fn: number): number {
    return this.placed[fn].length;
  }

  /** The queue group's pick: uniform among subscribers; -1 when none (no responders). */
  private queueGroup(fn: number): number {
    const list = this.serving[fn];
    if (list.length === 0) return -1;
    return list.length === 1 ? list[0] : list[this.rng.int(list.length)];
  }

  /**
   * Where a request of `fn` goes at `nowMs`: a device index, or -1 when no replica is placed or none
   * answers (503). `exclude` skips a device that just had no responder (the relay path's retry).
   */
  route(fn: number, nowMs: number, exclude = -1): number {
    this.routingAtMs = nowMs;
    const route = this.router.route(fn, exclude >= 0 ? this.workers[exclude].id : undefined);
    if (route.replica) return route.replica.index;
    return route.target === RouteTarget.QueueGroup ? this.queueGroup(fn) : -1;
  }

  placedMode(fn: number): Mode | undefined {
    return this.placed[fn].length === 0 ? undefined : (this.modeOf[fn] as Mode);
  }

  /** The replica view: `fn`'s replicas with their heartbeat fields, as of the request's arrival at the gateway. */
  replicas(fn: number): readonly Candidate[] {
    const reps = this.placed[fn];
    if (reps.length === 0) return NO_CANDIDATES;
    const cands = this.candidates[fn];
    const mode = this.modeOf[fn] as Mode;
    const nowMs = this.routingAtMs;
    for (let i = 0; i < reps.length; i++) {
      const d = reps[i];
      let c = cands[i];
      if (!c) {
        c = cands[i] = {
          index: -1,
          beat: -1,
          device: '',
          mode,
          ready: false,
          ageMs: 0,
          queued: 0,
          running: 0,
          localInflight: 0,
          execMsEwma: 0,
          fnQueued: 0,
          preferredBatchSize: 1,
        };
      }
      // Fields from the heartbeat change only when a new one arrives.
      if (c.index !== d || c.beat !== this.hbCount[d]) {
        const w = this.workers[d];
        c.index = d;
        c.beat = w.hbCount;
        c.device = w.id;
        const seen = w.hbReady[fn] === 1;
        c.ready = seen;
        c.queued = w.hbQueued;
        c.running = w.hbRunning;
        c.execMsEwma = seen ? w.hbExec1[fn] : 0;
        c.fnQueued = seen ? w.hbFnQueued[fn] : 0;
        c.preferredBatchSize = seen ? w.hbPreferred[fn] : 1;
      }
      c.mode = mode;
      c.ageMs = nowMs - this.hbAtMs[d];
      c.localInflight = this.inflight[d];
    }
    if (cands.length !== reps.length) cands.length = reps.length;
    return cands;
  }
}
