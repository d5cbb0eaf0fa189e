import type { DevicePlacement, DeviceState, FunctionLoad, FunctionRecord } from '@epara/contracts';
import { type Recategorization, SchedulerLoop, type SchedulerPorts } from '@epara/core';
import { POLICY_NAMES, type PolicyName, servingPolicy } from '@epara/policy';
import type { WorkloadFunction } from '@epara/workload';
import { SimFunction } from './sim-function';
import type { SimGateway } from './sim-gateway';
import { SimScheduler } from './sim-scheduler';
import type { SimWorker } from './sim-worker';

// The live scheduler (SchedulerLoop over its ports) and the simulator's (SimScheduler in virtual time)
// are fed one recorded sequence of records and heartbeats; they must write the same placement.

const GB = 1024 ** 3;
const DEVICES = [
  { id: 'cpu-0', memoryBytes: 2 * GB },
  { id: 'cpu-1', memoryBytes: 2 * GB },
];

function fn(name: string, execMsByBatch: Record<string, number>, sloMs: number, memoryBytes: number): WorkloadFunction {
  return {
    name,
    profileName: 'inline',
    profile: { execMsByBatch, memoryBytes, loadMs: 100 },
    sloMs,
    batchable: true,
    kindCanSplit: false,
    modelSizeBytes: memoryBytes / 2,
  };
}

const FUNCTIONS = [
  fn('hot', { '1': 1, '8': 3, '32': 9 }, 20, 200e6),
  fn('sparse', { '1': 10, '4': 25 }, 50, 600e6),
  fn('mid', { '1': 2, '8': 6 }, 15, 300e6),
];
/** Offered requests/s per function at second `s`: the hot one fills a device, then more than one; the others do not. */
function rateOf(name: string, s: number): number {
  return ({ hot: s < 20 ? 700 : 1800, sparse: 5, mid: 120 } as Record<string, number>)[name];
}

/** The live scheduler over in-memory ports: records, placement and heartbeats as KV and the cluster state hold them. */
function liveScheduler(policy: PolicyName, records: FunctionRecord[], now: () => number) {
  const store = new Map(records.map((r) => [r.name, r]));
  const placements = new Map<string, DevicePlacement>();
  const states = new Map<string, DeviceState>();
  const ports: SchedulerPorts = {
    functions: {
      all: () => [...store.values()],
      recategorize: async ({ record }: Recategorization) => (store.set(record.name, record), record),
    },
    placements: {
      all: () => [...placements.values()],
      put: async (p) => void placements.set(p.device, p),
      remove: async (d) => void placements.delete(d),
    },
    devices: { liveDevices: () => [...states.values()], ageMs: () => 0, forget: () => undefined },
    events: { placed: () => undefined, recategorized: () => undefined, deviceLost: () => undefined },
    leadership: { isLeader: true },
    clock: { nowMs: now },
    log: { log: () => undefined, warn: () => undefined, error: () => undefined },
  };
  const loop = new SchedulerLoop(ports, { policy: servingPolicy(policy), deviceLostMs: 3_500 });
  return {
    store,
    placements,
    heartbeat(s: DeviceState) {
      states.set(s.device, s);
      loop.onHeartbeat(s);
    },
    async round() {
      loop.trigger('round');
      await loop.settled();
    },
  };
}

/** The simulator's scheduler with its workers and gateway reduced to what the scheduler touches. */
function simScheduler(policy: PolicyName, now: () => number) {
  const p = servingPolicy(policy);
  const devices = DEVICES.map((d) => ({ memoryBytes: d.memoryBytes, memoryFreeBytes: d.memoryBytes }));
  const fns = FUNCTIONS.map((f, i) => new SimFunction(i, f, p, devices));
  const workers = DEVICES.map((d, index) => ({
    id: d.id,
    index,
    spec: { ...d, computeScale: 1 },
    reconcile: () => undefined,
  })) as unknown as SimWorker[];
  const gateway = { setPlacement: () => undefined } as unknown as SimGateway;
  let roundsDue = 0;
  const sut = new SimScheduler(p, fns, workers, gateway, {
    nowMs: now,
    scheduleRound: () => void roundsDue++,
    onRecategorized: () => undefined,
  });
  return {
    fns,
    sut,
    round() {
      sut.trigger();
      // Run every round the scheduler asked for (a re-categorization asks for one more), all at this instant.
      while (roundsDue > 0) {
        roundsDue--;
        sut.round();
      }
    },
  };
}

function heartbeatOf(device: string, placement: DevicePlacement | undefined, received: Map<string, number>, nowMs: number): DeviceState {
  const functions = (placement?.assignments ?? []).map((a): FunctionLoad => ({
    fn: a.fn,
    mode: a.mode,
    queued: 0,
    running: 0,
    completed: received.get(`${device}/${a.fn}`) ?? 0,
    received: received.get(`${device}/${a.fn}`) ?? 0,
    execMsEwma: 1,
    preferredBatchSize: 1,
    ready: true,
  }));
  const memoryBytes = DEVICES.find((d) => d.id === device)!.memoryBytes;
  return {
    device,
    slot: device,
    host: 'test',
    deviceClass: 'sim',
    executionProvider: 'cpu',
    memoryBytes,
    memoryFreeBytes: memoryBytes,
    threads: 1,
    utilization: 0,
    queued: 0,
    running: 0,
    functions,
    draining: false,
    startedAt: 0,
    at: nowMs,
    version: 'test',
  };
}

describe('scheduler parity: the live loop and the simulator place alike', () => {
  it.each(POLICY_NAMES)('%s: same placement after every round of a recorded sequence', async (policy) => {
    let nowMs = 0;
    const now = () => nowMs;
    const sim = simScheduler(policy, now);
    const live = liveScheduler(
      policy,
      sim.fns.map((f) => f.record),
      now,
    );
    const received = new Map<string, number>();
    const placementsAgree = () => {
      for (const d of DEVICES) expect(live.placements.get(d.id)?.assignments ?? []).toEqual(sim.sut.placementOf(d.id)?.assignments ?? []);
    };

    for (let s = 0; s <= 40; s++) {
      nowMs = s * 1000;
      if (s === 2) {
        // The first loads measured the profiles: both record stores learn them.
        for (const f of sim.fns) {
          f.storeProfile('cpu-0', nowMs);
          live.store.set(f.name, { ...live.store.get(f.name)!, profiles: f.record.profiles });
        }
      }
      for (const d of DEVICES) {
        const placement = live.placements.get(d.id);
        for (const a of placement?.assignments ?? []) {
          const replicas = DEVICES.filter((x) => live.placements.get(x.id)?.assignments.some((y) => y.fn === a.fn)).length;
          const key = `${d.id}/${a.fn}`;
          received.set(key, (received.get(key) ?? 0) + Math.round(rateOf(a.fn, s) / replicas));
        }
        const hb = heartbeatOf(d.id, placement, received, nowMs);
        live.heartbeat(hb);
        sim.sut.rates.observeHeartbeat(hb, nowMs);
      }
      if (s === 0 || s % 10 === 0 || s === 2) {
        sim.round();
        await live.round();
        placementsAgree();
        // Records agree too: same categories on both sides.
        for (const f of sim.fns) expect(live.store.get(f.name)!.category).toEqual(f.record.category);
      }
    }
    // The sequence is not trivial: something is placed.
    expect(DEVICES.some((d) => (live.placements.get(d.id)?.assignments.length ?? 0) > 0)).toBe(true);
  });
});
