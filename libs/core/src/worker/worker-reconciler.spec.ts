import type { FunctionRecord } from '@epara/contracts';
import type { FunctionBatching } from '@epara/policy';
import type { Timers } from '../ports/clock';
import { BatchFeedback } from './batch-feedback';
import type { ServingUnit } from './serving-unit';
import type { LoadedUnit, UnitAssignment, WantedUnit } from './types';
import { UnitLifecycle } from './unit-lifecycle';
import { WorkerReconciler } from './worker-reconciler';

/** Timers that fire only when the test advances them. */
class ManualTimers implements Timers {
  now = 0;
  private next = 0;
  private readonly due = new Map<number, { at: number; fn: () => void }>();
  set(fn: () => void, ms: number): unknown {
    const id = ++this.next;
    this.due.set(id, { at: this.now + ms, fn });
    return id;
  }
  clear(handle: unknown): void {
    this.due.delete(handle as number);
  }
  advance(ms: number): void {
    this.now += ms;
    for (const [id, t] of [...this.due].sort((a, b) => a[1].at - b[1].at)) {
      if (t.at > this.now || !this.due.has(id)) continue;
      this.due.delete(id);
      t.fn();
    }
  }
  get pending(): number {
    return this.due.size;
  }
}

/** An executor that says a unit is idle when the test says so. */
class FakeExecutor {
  readonly registered = new Map<string, FunctionBatching>();
  readonly retuned: [string, FunctionBatching][] = [];
  readonly unregistered: string[] = [];
  readonly busy = new Set<string>();
  private readonly waiters = new Map<string, () => void>();
  register(unit: string, slot: { batching: FunctionBatching }): void {
    this.registered.set(unit, slot.batching);
  }
  unregister(unit: string): void {
    this.registered.delete(unit);
    this.unregistered.push(unit);
  }
  retune(unit: string, b: FunctionBatching): void {
    this.retuned.push([unit, b]);
  }
  whenIdle(unit: string, onIdle: () => void): () => void {
    if (!this.busy.has(unit)) {
      onIdle();
      return () => undefined;
    }
    this.waiters.set(unit, onIdle);
    return () => this.waiters.delete(unit);
  }
  becomeIdle(unit: string): void {
    this.busy.delete(unit);
    const w = this.waiters.get(unit);
    this.waiters.delete(unit);
    w?.();
  }
}

const record = (name: string, sloMs = 100): FunctionRecord =>
  ({
    name,
    kind: 'tensor',
    slo: { latencyMs: sloMs },
    model: { sha256: `sha-${name}`, sizeBytes: 1, format: 'onnx', inputs: [], outputs: [], batchable: true, source: 'test' },
    profiles: {},
    createdAt: 0,
    updatedAt: 0,
  }) as unknown as FunctionRecord;

const wantedUnit = (
  name: string,
  assignment: UnitAssignment = { mode: 'dp', maxBatchSize: 8, maxQueueDelayMs: 2 },
  modelId = `sha-${name}`,
): WantedUnit => ({ unit: name, modelId, assignment, record: record(name) });

/** Lets promise callbacks run. */
const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

function setup() {
  const timers = new ManualTimers();
  const executor = new FakeExecutor();
  let wanted: WantedUnit[] = [];
  const loads: string[] = [];
  const unloads: string[] = [];
  const publishes: { serving: string[]; loaded: string[] }[] = [];
  const changes: [string, UnitLifecycle][] = [];
  const failNext = new Set<string>();
  /** Models (by modelId) that never load, as one whose declared shapes no device can hold. */
  const broken = new Set<string>();
  const failures: { unit: string; attempts: number; retryInMs?: number }[] = [];
  const host = {
    load: (w: WantedUnit): Promise<LoadedUnit<string>> => {
      loads.push(w.unit);
      if (failNext.delete(w.unit)) return Promise.reject(new Error('store busy'));
      if (broken.has(w.modelId)) return Promise.reject(new Error('input x needs 40 GB'));
      return Promise.resolve({
        model: `model-${w.unit}`,
        memoryBytes: 10,
        loadMs: 5,
        batchable: true,
        execMsByBatch: { '1': 10, '8': 40 },
        needsProfile: false,
      });
    },
    serve: () => () => Promise.resolve(),
    unload: (u: ServingUnit<WantedUnit, string>) => {
      unloads.push(u.unit);
    },
  };
  const sut = new WorkerReconciler<WantedUnit, string>({
    device: 'cpu-0',
    desired: { wanted: () => wanted },
    host,
    executor,
    feedback: new BatchFeedback<WantedUnit, string>('adaptive', executor),
    publisher: {
      publish: (serving, loaded) => void publishes.push({ serving: serving.map((u) => u.unit), loaded: loaded.map((u) => u.unit) }),
    },
    timers,
    lifecycle: {
      changed: (unit, state) => void changes.push([unit, state]),
      loadFailed: (unit, _reason, attempts, retryInMs) => void failures.push({ unit, attempts, retryInMs }),
    },
    loadRetryMs: 2_000,
    drainTimeoutMs: 10_000,
  });
  return {
    sut,
    timers,
    executor,
    loads,
    unloads,
    publishes,
    changes,
    failNext,
    broken,
    failures,
    want: (...units: WantedUnit[]) => {
      wanted = units;
    },
    /** A placement change: these units are wanted now, and the pass it triggers has finished. */
    async place(...units: WantedUnit[]) {
      wanted = units;
      sut.reconcile();
      await sut.settled();
    },
  };
}

describe('WorkerReconciler', () => {
  it('loads a wanted unit, registers it with its batching and publishes it: loading → ready', async () => {
    const t = setup();
    t.want(wantedUnit('a'));
    t.sut.reconcile();
    expect(t.sut.stateOf('a')).toBe(UnitLifecycle.Loading);
    await t.sut.settled();
    expect(t.sut.stateOf('a')).toBe(UnitLifecycle.Ready);
    expect(t.executor.registered.get('a')?.maxBatchSize).toBeGreaterThanOrEqual(1);
    expect(t.publishes).toEqual([{ serving: ['a'], loaded: ['a'] }]);
    expect(t.changes).toEqual([
      ['a', UnitLifecycle.Loading],
      ['a', UnitLifecycle.Ready],
    ]);
    expect(t.sut.states()).toEqual([{ unit: 'a', state: UnitLifecycle.Ready, mode: 'dp' }]);
  });

  it('retries a failed load after the retry delay: loading → failed → loading → ready', async () => {
    const t = setup();
    t.failNext.add('a');
    await t.place(wantedUnit('a'));
    expect(t.sut.stateOf('a')).toBe(UnitLifecycle.Failed);
    expect(t.publishes).toEqual([]);
    t.timers.advance(1_999);
    expect(t.loads).toEqual(['a']);
    t.timers.advance(1);
    await t.sut.settled();
    expect(t.loads).toEqual(['a', 'a']);
    expect(t.sut.stateOf('a')).toBe(UnitLifecycle.Ready);
    expect(t.changes.map((c) => c[1])).toEqual([UnitLifecycle.Loading, UnitLifecycle.Failed, UnitLifecycle.Loading, UnitLifecycle.Ready]);
  });

  it('backs off a model that never loads (2, 4, 8, 16 s), then gives up and says why; another model starts afresh', async () => {
    const t = setup();
    t.broken.add('sha-a');
    await t.place(wantedUnit('a'));
    for (const wait of [2_000, 4_000, 8_000, 16_000]) {
      const before = t.loads.length;
      t.timers.advance(wait - 1);
      await t.sut.settled();
      expect(t.loads.length).toBe(before); // not before its backoff
      t.timers.advance(1);
      await flush();
      await t.sut.settled();
      expect(t.loads.length).toBe(before + 1);
    }
    expect(t.failures).toEqual([
      { unit: 'a', attempts: 1, retryInMs: 2_000 },
      { unit: 'a', attempts: 2, retryInMs: 4_000 },
      { unit: 'a', attempts: 3, retryInMs: 8_000 },
      { unit: 'a', attempts: 4, retryInMs: 16_000 },
      { unit: 'a', attempts: 5, retryInMs: undefined },
    ]);
    expect(t.timers.pending).toBe(0); // no endless retry
    // Other placement changes do not retry it either.
    await t.place(wantedUnit('a'), wantedUnit('b'));
    expect(t.loads.filter((u) => u === 'a')).toHaveLength(5);
    expect(t.sut.states().find((s) => s.unit === 'a')).toMatchObject({
      state: UnitLifecycle.Failed,
      reason: expect.stringMatching(/input x needs 40 GB \(attempt 5 of 5; given up/),
    });
    // A redeploy (another model) is loaded at once.
    await t.place(wantedUnit('a', undefined, 'sha-a2'));
    expect(t.sut.stateOf('a')).toBe(UnitLifecycle.Ready);
  });

  it('retires a removed unit: it stops taking requests, drains, and unloads once the executor says it is idle', async () => {
    const t = setup();
    await t.place(wantedUnit('a'));
    t.executor.busy.add('a');
    await t.place();
    expect(t.sut.stateOf('a')).toBe(UnitLifecycle.Draining);
    expect(t.sut.unit('a')).toBeUndefined();
    expect(t.publishes.at(-1)).toEqual({ serving: [], loaded: [] });
    expect(t.unloads).toEqual([]);
    t.executor.becomeIdle('a');
    expect(t.executor.unregistered).toEqual(['a']);
    expect(t.unloads).toEqual(['a']);
    expect(t.sut.stateOf('a')).toBe(UnitLifecycle.Unloaded);
    expect(t.timers.pending).toBe(0);
    expect(t.changes.map((c) => c[1])).toEqual([
      UnitLifecycle.Loading,
      UnitLifecycle.Ready,
      UnitLifecycle.Draining,
      UnitLifecycle.Unloaded,
    ]);
  });

  it('unloads a unit whose queue does not empty once the drain timeout passes', async () => {
    const t = setup();
    await t.place(wantedUnit('a'));
    t.executor.busy.add('a');
    await t.place();
    t.timers.advance(9_999);
    expect(t.sut.stateOf('a')).toBe(UnitLifecycle.Draining);
    t.timers.advance(1);
    expect(t.executor.unregistered).toEqual(['a']);
    expect(t.sut.stateOf('a')).toBe(UnitLifecycle.Unloaded);
    // Idle later changes nothing: it is unloaded once.
    t.executor.becomeIdle('a');
    expect(t.unloads).toEqual(['a']);
  });

  it('retunes a kept unit whose assignment changed, and publishes when its mode changed', async () => {
    const t = setup();
    await t.place(wantedUnit('a', { mode: 'dp', maxBatchSize: 1, maxQueueDelayMs: 0 }));
    const before = t.executor.registered.get('a')!;
    await t.place(wantedUnit('a', { mode: 'batch', maxBatchSize: 8, maxQueueDelayMs: 50 }));
    expect(t.loads).toEqual(['a']);
    expect(t.executor.retuned).toHaveLength(1);
    expect(t.executor.retuned[0][1]).not.toEqual(before);
    expect(t.sut.unit('a')?.mode).toBe('batch');
    expect(t.publishes).toHaveLength(2);
  });

  it('reloads a unit placed with another model: the old one drains while the new one serves', async () => {
    const t = setup();
    await t.place(wantedUnit('a'));
    t.executor.busy.add('a');
    await t.place(wantedUnit('a', undefined, 'sha-new'));
    expect(t.loads).toEqual(['a', 'a']);
    expect(t.sut.stateOf('a')).toBe(UnitLifecycle.Ready);
    expect(t.sut.states()).toEqual([
      { unit: 'a', state: UnitLifecycle.Ready, mode: 'dp' },
      { unit: 'a', state: UnitLifecycle.Draining, mode: 'dp' },
    ]);
    t.executor.becomeIdle('a');
    // The new registration stays: only the old model is freed.
    expect(t.executor.unregistered).toEqual([]);
    expect(t.unloads).toEqual(['a']);
  });

  it('runs passes one at a time: a change during a load is applied after it', async () => {
    const t = setup();
    t.want(wantedUnit('a'));
    t.sut.reconcile();
    t.want(wantedUnit('a'), wantedUnit('b'));
    t.sut.reconcile();
    t.sut.reconcile();
    await t.sut.settled();
    await flush();
    expect(t.loads).toEqual(['a', 'b']);
    expect(t.publishes.map((p) => p.loaded)).toEqual([['a'], ['b']]);
  });
});
