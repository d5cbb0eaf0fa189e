import type { ServingPolicy } from '@epara/policy';
// Leaf modules, not the index: each call through a re-export costs a getter under tsx.
import { chooseBatchReplica } from '@epara/policy/routing/choose-batch-replica';
import { chooseReplica } from '@epara/policy/routing/choose-replica';
import type { BatchReplicaLoad, RouteParams } from '@epara/policy/routing/types';
import { Rng } from '../workload';
import { SimWorker } from './sim-worker';

/** A heartbeat older than this makes a device unroutable, ms (gateway cluster-view.service.ts STALE_AFTER_MS). */
export const STALE_AFTER_MS = 3_500;

/** One routing candidate, reused across requests (no allocation per request). */
interface Candidate extends BatchReplicaLoad {
  /** Device index. */
  index: number;
  /** The device's heartbeat count these fields were copied at. */
  beat: number;
}

/**
 * The gateway's request handling (invoke.service.ts `route`): a replica list from the placement, the
 * workers' state as of their last heartbeat plus this gateway's own in-flight count per device, and
 * the policy's routing: p2c / batch-window (`chooseReplica` / `chooseBatchReplica`) or the NATS queue
 * group (uniform among the subscribed replicas).
 */
export class SimGateway {
  /** Requests this gateway sent to each device and has no reply for. */
  readonly inflight: Int32Array;
  /** fn → device indices in the placement (what `ClusterState.replicas` lists). */
  private replicas: number[][];
  /** fn → device indices subscribed now (loaded, not retiring): the NATS queue group's members. */
  private readonly serving: number[][];
  /** fn → the mode its replicas are assigned (the subject's mode). */
  readonly modeOf: string[];
  private readonly candidates: Candidate[][];
  private readonly random: () => number;
  private readonly params: RouteParams = { staleAfterMs: STALE_AFTER_MS };
  /**
   * Each device's last heartbeat: when, and its count (copied by `heartbeatFrom`). Kept here, packed,
   * because every request reads them for every replica of its function; the worker objects are
   * touched only when a newer heartbeat has to be copied into a candidate.
   */
  private readonly hbAtMs: Float64Array;
  private readonly hbCount: Int32Array;

  constructor(
    private readonly policy: ServingPolicy,
    private readonly workers: readonly SimWorker[],
    fnCount: number,
    private readonly rng: Rng,
  ) {
    this.inflight = new Int32Array(workers.length);
    this.hbAtMs = new Float64Array(workers.length).fill(-Infinity);
    this.hbCount = new Int32Array(workers.length);
    for (const w of workers) this.heartbeatFrom(w);
    this.replicas = Array.from({ length: fnCount }, () => []);
    this.serving = Array.from({ length: fnCount }, () => []);
    this.candidates = Array.from({ length: fnCount }, () => []);
    this.modeOf = new Array<string>(fnCount).fill('dp');
    this.random = () => this.rng.next();
  }

  /** A worker sent a heartbeat (it has updated its `hb*` fields). */
  heartbeatFrom(w: SimWorker): void {
    this.hbAtMs[w.index] = w.hbAtMs;
    this.hbCount[w.index] = w.hbCount;
  }

  /** The placement changed (KV `epara_placement` watch): new replica lists. */
  setPlacement(replicas: number[][], modes: string[]): void {
    this.replicas = replicas;
    for (let f = 0; f < modes.length; f++) this.modeOf[f] = modes[f];
  }

  setServing(fn: number, device: number, serving: boolean): void {
    const list = this.serving[fn];
    const i = list.indexOf(device);
    if (serving && i < 0) list.push(device);
    else if (!serving && i >= 0) list.splice(i, 1);
  }

  replicaCount(fn: number): number {
    return this.replicas[fn].length;
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
    const reps = this.replicas[fn];
    if (reps.length === 0) return -1;
    if (this.policy.routing === 'queue-group') return this.queueGroup(fn);
    const cands = this.candidates[fn];
    let n = 0;
    for (let i = 0; i < reps.length; i++) {
      const d = reps[i];
      if (d === exclude) continue;
      let c = cands[n];
      if (!c) {
        c = cands[n] = { index: -1, beat: -1, device: '', ready: false, ageMs: 0, queued: 0, running: 0, localInflight: 0, execMsEwma: 0, fnQueued: 0, preferredBatchSize: 1 };
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
      c.ageMs = nowMs - this.hbAtMs[d];
      c.localInflight = this.inflight[d];
      n++;
    }
    if (cands.length !== n) cands.length = n;
    const d = this.modeOf[fn] === 'batch' ? chooseBatchReplica(cands, this.random, this.params) : chooseReplica(cands, this.random, this.params);
    // Nobody looks ready from here (heartbeats lag a fresh placement): let the queue group decide.
    if (d.kind === 'none') return this.queueGroup(fn);
    return cands[d.index].index;
  }
}
