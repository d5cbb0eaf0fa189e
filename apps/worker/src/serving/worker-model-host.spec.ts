import type { FunctionRecord, ModelInfo, Profile } from '@epara/contracts';
import { BatchFeedback, PendingRequest, ServingUnit } from '@epara/core';
import type { LoadedModel } from '@epara/runtime';
import type { ModelManager } from '../models/model-manager';
import type { GenerationServer } from './generation-server';
import type { VadStreamServer } from './vad-stream-server';
import { WorkerModelHost } from './worker-model-host';
import type { WorkerProfiler } from './worker-profiler';
import type { WorkerWanted } from './worker-unit';

const DEVICE_CLASS = 'cpu-t1';

function modelInfo(over: Partial<ModelInfo> = {}): ModelInfo {
  return {
    sha256: 'sha-f',
    sizeBytes: 10,
    format: 'onnx',
    inputs: [{ name: 'x', datatype: 'FP32', shape: ['N', 4], batchAxis: 0 }],
    outputs: [],
    batchable: true,
    source: 'test',
    ...over,
  } as ModelInfo;
}

function wanted(over: { kind?: string; profiles?: Record<string, Profile>; stage?: number; info?: ModelInfo } = {}): WorkerWanted {
  const info = over.info ?? modelInfo();
  const record = {
    name: 'f',
    kind: over.kind ?? 'tensor',
    slo: { latencyMs: 100 },
    model: info,
    profiles: over.profiles ?? {},
    createdAt: 0,
    updatedAt: 0,
  } as unknown as FunctionRecord;
  return {
    unit: 'f',
    modelId: info.sha256,
    assignment: {
      fn: 'f',
      mode: 'dp',
      sha256: info.sha256,
      stage: over.stage,
      maxBatchSize: 8,
      maxQueueDelayMs: 2,
    } as WorkerWanted['assignment'],
    record,
    info,
  };
}

function setup(profiling = true) {
  const released: string[] = [];
  const model = (info: ModelInfo) =>
    ({
      info,
      provider: 'cpu',
      kind: { sample: () => ({ inputs: [], items: 1, groupKey: 'sample' }), finish: async (o: unknown) => ({ type: 'document', body: o }) },
      run: async (batch: unknown[]) => batch.map((_, i) => i),
      release: async () => void released.push(info.sha256),
    }) as unknown as LoadedModel;
  const models = { load: jest.fn(async (_r: FunctionRecord, info: ModelInfo) => ({ model: model(info), loadMs: 12, memoryBytes: 1000 })) };
  const profile = jest.fn(async () => ({ execMsByBatch: { '1': 3, '8': 9 } }) as unknown as Profile);
  const attached: string[] = [];
  const detached: string[] = [];
  const generation = {
    attach: (u: { unit: string }) => void attached.push(u.unit),
    detach: async (unit: string) => void detached.push(unit),
  };
  const vadAttached: string[] = [];
  const vadDetached: string[] = [];
  const vad = {
    attach: (u: { unit: string }) => void vadAttached.push(u.unit),
    detach: async (unit: string) => void vadDetached.push(unit),
  };
  const observed: [string, number][] = [];
  const feedback = new BatchFeedback<WorkerWanted, LoadedModel>(
    'adaptive',
    { retune: () => undefined },
    { observeBatch: (unit, _ms, size) => void observed.push([unit, size]) },
  );
  const sut = new WorkerModelHost(
    'cpu-0',
    DEVICE_CLASS,
    'cpu',
    profiling,
    models as unknown as ModelManager,
    { profile } as unknown as WorkerProfiler,
    generation as unknown as GenerationServer,
    vad as unknown as VadStreamServer,
    feedback,
  );
  return { sut, models, profile, attached, detached, vadAttached, vadDetached, released, observed };
}

describe('WorkerModelHost', () => {
  it('profiles a model that has no profile for this device class, and seeds the estimator with it', async () => {
    const t = setup();
    const loaded = await t.sut.load(wanted());
    expect(t.profile).toHaveBeenCalledTimes(1);
    expect(loaded).toMatchObject({
      memoryBytes: 1000,
      loadMs: 12,
      batchable: true,
      execMsByBatch: { '1': 3, '8': 9 },
      needsProfile: false,
    });
    expect(t.sut.provider).toBe('cpu');
  });

  it('uses the stored profile of this device class without profiling again', async () => {
    const t = setup();
    const loaded = await t.sut.load(wanted({ profiles: { [DEVICE_CLASS]: { execMsByBatch: { '1': 7 } } as unknown as Profile } }));
    expect(t.profile).not.toHaveBeenCalled();
    expect(loaded.execMsByBatch).toEqual({ '1': 7 });
  });

  it('leaves a model with dynamic sizes besides the batch to be profiled with its first real request', async () => {
    const t = setup();
    const info = modelInfo({ inputs: [{ name: 'img', datatype: 'FP32', shape: ['N', 3, 'H', 'W'], batchAxis: 0 }] as ModelInfo['inputs'] });
    const loaded = await t.sut.load(wanted({ info }));
    expect(t.profile).not.toHaveBeenCalled();
    expect(loaded.needsProfile).toBe(true);
  });

  it('profiles neither pipeline stages nor anything when profiling is off', async () => {
    const stage = setup();
    expect((await stage.sut.load(wanted({ stage: 0 }))).needsProfile).toBe(false);
    const off = setup(false);
    expect((await off.sut.load(wanted())).needsProfile).toBe(false);
    expect(stage.profile).not.toHaveBeenCalled();
    expect(off.profile).not.toHaveBeenCalled();
  });

  it('serves a text-generation unit through the generation server, not the executor, and detaches it on unload', async () => {
    const t = setup();
    const w = wanted({ kind: 'text-generation' });
    const u = new ServingUnit<WorkerWanted, LoadedModel>(w, await t.sut.load(w));
    expect(t.sut.serve(u)).toBeUndefined();
    expect(t.attached).toEqual(['f']);
    await t.sut.unload(u, false);
    expect(t.detached).toEqual(['f']);
    expect(t.released).toEqual(['sha-f']);
  });

  it('serves an audio-vad unit through the VAD stream server, not the executor, and detaches it on unload', async () => {
    const t = setup();
    const w = wanted({ kind: 'audio-vad' });
    const u = new ServingUnit<WorkerWanted, LoadedModel>(w, await t.sut.load(w));
    expect(t.sut.serve(u)).toBeUndefined();
    expect(t.vadAttached).toEqual(['f']);
    expect(t.attached).toEqual([]);
    await t.sut.unload(u, false);
    expect(t.vadDetached).toEqual(['f']);
  });

  it('runs a batch, feeds the run back and answers every request in it', async () => {
    const t = setup();
    const w = wanted();
    const u = new ServingUnit<WorkerWanted, LoadedModel>(w, await t.sut.load(w));
    const settled: unknown[] = [];
    const batch = [0, 1].map(
      (i) =>
        ({
          fn: 'f',
          requestId: `r${i}`,
          arrivalMs: Date.now(),
          deadlineMs: Date.now() + 1000,
          prepared: { inputs: [], items: 1, groupKey: 'g' },
          settle: (o: unknown) => void settled.push(o),
        }) as PendingRequest,
    );
    await t.sut.serve(u)!(batch);
    expect(settled).toHaveLength(2);
    expect(settled[0]).toMatchObject({ result: { type: 'document', body: 0 }, served: { batchSize: 2 } });
    expect(t.observed).toEqual([['f', 2]]);
    expect(u.estimator.changes).toBe(1);
  });

  it('keeps the new registration when the same unit was loaded again meanwhile', async () => {
    const t = setup();
    const w = wanted();
    const u = new ServingUnit<WorkerWanted, LoadedModel>(w, await t.sut.load(w));
    await t.sut.unload(u, true);
    expect(t.detached).toEqual([]);
    expect(t.released).toEqual(['sha-f']);
  });
});
