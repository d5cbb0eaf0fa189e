import { EparaError, LOOP_DEFAULTS } from '@epara/contracts';
import { PolicyName, servingPolicy, ServingPolicy } from '@epara/policy';
import { GoodputRecorder } from '@epara/goodput';
import { ArrivalProcess, arrivalSources, deriveSeed, DeviceSpec, expandDevices, Rng, Workload } from '@epara/workload';
import { EventQueue } from './event-queue';
import { SimFunction } from './sim-function';
import { SimGateway } from './sim-gateway';
import { SimRequest, SettleSink } from './sim-request';
import { SimScheduler } from './sim-scheduler';
import { EV_LOAD_DONE, EV_RUN_DONE, RunningBatch, SimWorker, WorkerHost } from './sim-worker';
import { SimOptions, SimResult, SimStats } from './types';
import { TIMER_EVENT, VirtualClock, VirtualTimer, VirtualTimers } from './virtual-time';

const EV_ARRIVAL = 2;
const EV_DEVICE_ARRIVE = 3;
const EV_HEARTBEAT = 5;
const EV_ROUND = 6;
const EV_PERIOD = 9;

/** The apps' defaults, and the report's bucket width, ms. */
export const SIM_DEFAULTS = Object.freeze({ ...LOOP_DEFAULTS, bucketMs: 1_000 });
/** The run stops at the latest this long after the last arrival even if requests are still queued, ms. */
const DRAIN_LIMIT_MS = 120_000;

/** One arrival source and where its next request goes. */
class Source {
  constructor(
    readonly fnIndex: number,
    readonly process: ArrivalProcess,
  ) {}
}

/**
 * One simulated run of a workload under one policy: a discrete-event simulation in virtual time that
 * drives the platform's own decisions — `categorize`, `chooseReplica` / `chooseBatchReplica`, the
 * real DeviceExecutor (decideBatch, pickNextQueue, deadline drops), `place` / `simplePlacement` — with
 * the glue the apps share from libs/policy (batching per policy, record → placement). Only execution (profile times), the network (a constant per hop,
 * or a function's measured time outside the worker, `pathDelayMs`) and model loading (loadMs) are modelled. Deterministic for a seed.
 */
export class Simulation implements WorkerHost, SettleSink {
  readonly clock = new VirtualClock();
  readonly queue = new EventQueue();
  readonly timers: VirtualTimers;
  readonly policy: ServingPolicy;
  readonly fns: SimFunction[];
  readonly workers: SimWorker[];
  readonly gateway: SimGateway;
  readonly scheduler: SimScheduler;
  readonly recorder: GoodputRecorder;
  readonly maxQueue: number;
  readonly devices: DeviceSpec[];
  private readonly seed: number;
  private readonly w: Workload;
  private readonly hopMs: number;
  private readonly replyHopMs: number;
  private readonly relay: boolean;
  private readonly noiseRng: Rng;
  private readonly pathRng: Rng;
  private readonly noiseSigma: number;
  private readonly heartbeatMs: number;
  private readonly periodMs: number;
  private readonly endMs: number;
  private readonly warmupMs: number;
  private activeSources = 0;
  private outstanding = 0;
  private lastArrivalMs = 0;
  // Counters.
  private events = 0;
  private requests = 0;
  private batches = 0;
  private batchedItems = 0;
  private modelLoads = 0;
  private readonly recats: SimStats['recategorizations'] = [];

  constructor(
    workload: Workload,
    readonly options: SimOptions,
  ) {
    this.policy = servingPolicy(options.policy);
    if (!this.policy) throw new Error(`unknown policy "${options.policy}"`);
    this.seed = options.seed ?? workload.seed;
    this.w = {
      ...workload,
      durationS: options.durationS ?? workload.durationS,
      warmupS: options.warmupS ?? workload.warmupS,
    };
    // Streams that ran to the workload's end run to the overridden end.
    const oldEnd = workload.warmupS + workload.durationS;
    const newEnd = this.w.warmupS + this.w.durationS;
    this.w.streams = workload.streams
      .map((s) => ({ ...s, endS: s.endS === oldEnd ? newEnd : Math.min(s.endS, newEnd) }))
      .filter((s) => s.endS > s.startS);
    this.warmupMs = this.w.warmupS * 1000;
    this.endMs = newEnd * 1000;
    this.maxQueue = options.maxQueue ?? SIM_DEFAULTS.maxQueue;
    this.heartbeatMs = options.heartbeatMs ?? SIM_DEFAULTS.heartbeatMs;
    this.periodMs = options.placementPeriodMs ?? SIM_DEFAULTS.placementPeriodMs;
    this.hopMs = workload.network.hopMs;
    this.relay = workload.network.path === 'relay';
    // Producer → gateway → worker is one round trip either way; the reply takes half a hop (direct) or a whole one (relay).
    this.replyHopMs = this.relay ? this.hopMs : this.hopMs / 2;
    this.noiseRng = new Rng(deriveSeed(this.seed, 'exec-noise'));
    this.pathRng = new Rng(deriveSeed(this.seed, 'path-delay'));
    this.noiseSigma = Math.sqrt(Math.log(1 + workload.execNoiseCv * workload.execNoiseCv));
    this.timers = new VirtualTimers(this.clock, this.queue);
    this.devices = expandDevices(workload.devices, options.devices);
    this.fns = workload.functions.map(
      (f, i) =>
        new SimFunction(
          i,
          f,
          this.policy,
          this.devices.map((d) => ({ memoryBytes: d.memoryBytes, memoryFreeBytes: d.memoryBytes })),
        ),
    );
    this.workers = this.devices.map((d, i) => new SimWorker(i, d, this));
    this.gateway = new SimGateway(this.policy, this.workers, this.fns.length, new Rng(deriveSeed(this.seed, 'route')));
    this.scheduler = new SimScheduler(this.policy, this.fns, this.workers, this.gateway, {
      nowMs: () => this.clock.now,
      scheduleRound: (atMs) => this.queue.push(atMs, EV_ROUND, null),
      onRecategorized: (fn, from, to) => this.recats.push({ atS: this.clock.now / 1000, fn: fn.name, from, to }),
    });
    this.recorder = new GoodputRecorder(
      this.fns.map((f) => ({ name: f.name, sloMs: f.spec.sloMs, exec1Ms: f.execMs(1) })),
      { windowStartMs: this.warmupMs, windowEndMs: this.endMs, bucketMs: options.bucketMs ?? SIM_DEFAULTS.bucketMs },
    );
  }

  // --- WorkerHost ---------------------------------------------------------------------------

  execNoise(fnIndex: number): number {
    const measured = this.fns[fnIndex].spec.execFactorSamples;
    if (measured?.length) return measured[Math.floor(this.noiseRng.next() * measured.length)];
    if (this.noiseSigma === 0) return 1;
    return Math.exp(this.noiseSigma * this.noiseRng.normal() - (this.noiseSigma * this.noiseSigma) / 2);
  }

  complete(r: SimRequest, nowMs: number): void {
    this.gateway.inflight[r.device]--;
    this.outstanding--;
    this.recorder.ok(r.fnIndex, r.sendMs, nowMs + r.replyDelayMs);
  }

  onError(r: SimRequest, code: number): void {
    if (r.device >= 0) this.gateway.inflight[r.device]--;
    this.outstanding--;
    this.recorder.drop(r.fnIndex, r.sendMs, code);
  }

  onModelLoaded(device: number, fn: number): void {
    this.modelLoads++;
    const f = this.fns[fn];
    if (!f.profiled) {
      // The first worker to load it measures the profile and stores it in the record: the scheduler sees a change.
      f.storeProfile(this.workers[device].id, this.clock.now);
      this.scheduler.trigger();
    }
  }

  onServingChanged(device: number, fn: number, serving: boolean): void {
    this.gateway.setServing(fn, device, serving);
  }

  countBatch(size: number): void {
    this.batches++;
    this.batchedItems += size;
  }

  // --- requests -----------------------------------------------------------------------------

  /** A request leaves the gateway for `device` (or fails there): it reaches the worker one hop after its send. */
  private dispatch(r: SimRequest, device: number, atMs: number): void {
    if (device < 0) {
      r.device = -1;
      this.onError(r, 503);
      return;
    }
    r.device = device;
    this.gateway.inflight[device]++;
    this.queue.push(atMs, EV_DEVICE_ARRIVE, r);
  }

  private onArrival(s: Source): void {
    const now = this.clock.now;
    const fn = this.fns[s.fnIndex];
    const r = new SimRequest(s.fnIndex, fn.name, fn.prepared, now, fn.spec.sloMs, this);
    this.requests++;
    this.outstanding++;
    if (fn.category.mode === 'sp' || fn.category.mode === 'pp') {
      // Split and pipeline requests (several devices per request) are not simulated: counted as `other`.
      this.onError(r, 501);
    } else {
      const measured = fn.spec.pathDelayMs;
      if (measured?.length) {
        // A measured time outside the worker: half on the way there (routed halfway), half on the way back.
        const d = measured[Math.floor(this.pathRng.next() * measured.length)];
        r.replyDelayMs = d / 2;
        this.dispatch(r, this.gateway.route(s.fnIndex, now + d / 4), now + d / 2);
      } else {
        // Routed on arrival at the gateway, half a hop after the send.
        r.replyDelayMs = this.replyHopMs;
        this.dispatch(r, this.gateway.route(s.fnIndex, now + this.hopMs / 2), now + this.hopMs);
      }
    }
    const next = s.process.next();
    if (next < Infinity) this.queue.push(next, EV_ARRIVAL, s);
    else {
      this.activeSources--;
      this.lastArrivalMs = Math.max(this.lastArrivalMs, now);
    }
  }

  private onDeviceArrive(r: SimRequest): void {
    const now = this.clock.now;
    const worker = this.workers[r.device];
    if (!worker.serves(r.fnIndex)) {
      // No subscriber on that device's subject any more (moved, or not loaded yet): "no responders".
      const from = r.device;
      this.gateway.inflight[from]--;
      r.device = -1;
      if (this.relay && !r.retried) {
        // The relay path retries once elsewhere (the router skips the device that failed); the failure took half a hop to come back.
        r.retried = true;
        const at = now + this.hopMs / 2;
        this.dispatch(r, this.gateway.route(r.fnIndex, at, from), at + this.hopMs / 2);
      } else {
        this.onError(r, 503);
      }
      return;
    }
    worker.received(r.fnIndex);
    r.arrivalMs = now;
    if (r.deadlineMs <= now) {
      this.onError(r, 504);
      return;
    }
    try {
      // `offer` returns the 429 / 404 refusal instead of throwing it: no exception or message per shed request.
      const refusal = worker.executor.offer(r);
      if (refusal) this.onError(r, refusal.code);
    } catch (e) {
      this.onError(r, e instanceof EparaError ? e.code : 500);
    }
  }

  // --- run ------------------------------------------------------------------------------------

  run(): SimResult {
    const wall0 = performance.now();
    const cpu0 = process.cpuUsage();
    const stackLimit = Error.stackTraceLimit;
    // Deadline drops build an EparaError each; stack traces would dominate the run time.
    Error.stackTraceLimit = 0;
    try {
      this.start();
      this.loop();
    } finally {
      Error.stackTraceLimit = stackLimit;
    }
    const wallMs = performance.now() - wall0;
    const cpu = process.cpuUsage(cpu0);
    const stats = this.stats(wallMs, (cpu.user + cpu.system) / 1000);
    const summary = this.recorder.summarize(this.options.policy, this.w.name, { ...stats, devices: this.devices.length, seed: this.seed });
    return { summary, stats };
  }

  private start(): void {
    for (const src of arrivalSources(this.w, this.seed)) {
      const t = src.process.next();
      if (t === Infinity) continue;
      this.activeSources++;
      this.queue.push(t, EV_ARRIVAL, new Source(src.fnIndex, src.process));
    }
    const hbRng = new Rng(deriveSeed(this.seed, 'heartbeat-phase'));
    for (const w of this.workers) this.queue.push(hbRng.next() * this.heartbeatMs, EV_HEARTBEAT, w);
    // Deploy, devices up, scheduler starts: the first round at t = 0.
    this.scheduler.trigger();
    this.queue.push(this.periodMs, EV_PERIOD, null);
  }

  private loop(): void {
    const q = this.queue;
    const clock = this.clock;
    const gatewayNeedsState = this.policy.routing === 'state-aware';
    const rates = this.scheduler.usesRates ? this.scheduler.rates : undefined;
    // The imported event kinds as locals: under tsx each read of an imported binding is a getter call.
    const evTimer = TIMER_EVENT;
    const evRunDone = EV_RUN_DONE;
    const evLoadDone = EV_LOAD_DONE;
    while (q.size > 0) {
      if (this.activeSources === 0 && this.outstanding === 0) break;
      const t = q.pop();
      if (this.activeSources === 0 && t > this.lastArrivalMs + DRAIN_LIMIT_MS) break;
      clock.now = t;
      this.events++;
      const payload = q.payload;
      switch (q.kind) {
        case evTimer: {
          const timer = payload as VirtualTimer;
          if (!timer.cancelled) timer.fn();
          break;
        }
        case EV_ARRIVAL:
          this.onArrival(payload as Source);
          break;
        case EV_DEVICE_ARRIVE:
          this.onDeviceArrive(payload as SimRequest);
          break;
        case evRunDone: {
          const b = payload as RunningBatch;
          b.worker.onRunDone(b);
          break;
        }
        case EV_HEARTBEAT: {
          const w = payload as SimWorker;
          w.heartbeat(t, gatewayNeedsState, rates);
          this.gateway.heartbeatFrom(w);
          if (!w.joined) {
            w.joined = true;
            this.scheduler.trigger(); // "device joined"
          }
          q.push(t + this.heartbeatMs, EV_HEARTBEAT, w);
          break;
        }
        case EV_ROUND:
          this.scheduler.round();
          break;
        case EV_PERIOD:
          this.scheduler.trigger();
          q.push(t + this.periodMs, EV_PERIOD, null);
          break;
        case evLoadDone:
          (payload as SimWorker).onLoadDone();
          break;
        default:
          throw new Error(`simulator: unknown event kind ${q.kind}`);
      }
    }
    // Whatever is still queued when the run is cut off never got an answer: count it as missed (504).
    if (this.outstanding > 0) {
      for (const w of this.workers) w.executor.stop(EparaError.deadline('simulation ended before the request ran'));
    }
  }

  private stats(wallMs: number, cpuMs: number): SimStats {
    const finalPlacement: SimStats['finalPlacement'] = {};
    for (const f of this.fns) finalPlacement[f.name] = { mode: f.category.mode, replicas: this.gateway.replicaCount(f.index) };
    return {
      wallMs,
      cpuMs,
      events: this.events,
      requests: this.requests,
      batches: this.batches,
      meanBatchSize: this.batches ? this.batchedItems / this.batches : 0,
      placementRounds: this.scheduler.rounds,
      placementMs: this.scheduler.placementMs,
      modelLoads: this.modelLoads,
      recategorizations: this.recats,
      finalPlacement,
      simulatedS: this.clock.now / 1000,
    };
  }
}

/** Runs one policy over a workload. */
export function simulate(workload: Workload, options: SimOptions): SimResult {
  return new Simulation(workload, options).run();
}

export type { PolicyName };
