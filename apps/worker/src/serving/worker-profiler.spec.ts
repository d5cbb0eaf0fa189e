import { EventKind, FunctionRecord, PreparedRequest } from '@epara/contracts';
import type { ServingUnit } from '@epara/core';
import { encodeJson, FunctionRepository } from '@epara/nats';
import { InMemoryKvBucket } from '@epara/nats/testing';
import type { LoadedModel } from '@epara/runtime';
import { WorkerProfiler } from './worker-profiler';
import type { WorkerWanted } from './worker-unit';

jest.mock('@epara/runtime', () => ({ measureExecTimes: jest.fn(async () => ({ '1': 2, '4': 5 })) }));

const record = {
  name: 'f',
  slo: { latencyMs: 100 },
  profiles: { other: { deviceClass: 'other' } },
  createdAt: 0,
  updatedAt: 0,
} as unknown as FunctionRecord;
const sample: PreparedRequest = {
  inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3, 32, 48], data: new Float32Array(0) }] as unknown as PreparedRequest['inputs'],
  items: 1,
  groupKey: 'live',
};

function setup() {
  const kv = new InMemoryKvBucket();
  const events: [string, unknown][] = [];
  const sut = new WorkerProfiler('cpu-0', 'cpu-t1', new FunctionRepository(kv), {
    emit: (kind, payload) => void events.push([kind, payload]),
  });
  return { sut, kv, events, stored: async () => new FunctionRepository(kv).get('f') };
}

describe('WorkerProfiler', () => {
  it('stores the profile in the record next to the other device classes and announces it', async () => {
    const t = setup();
    await t.kv.put('f', encodeJson(record));
    const profile = await t.sut.profile(record, {} as LoadedModel, 12.4, 1000, sample);
    expect(profile).toMatchObject({
      deviceClass: 'cpu-t1',
      execMsByBatch: { '1': 2, '4': 5 },
      loadMs: 12,
      memoryBytes: 1000,
      shapeClass: '3x32x48',
      device: 'cpu-0',
    });
    const stored = await t.stored();
    expect(Object.keys(stored!.profiles).sort()).toEqual(['cpu-t1', 'other']);
    expect(t.events).toEqual([[EventKind.Profiled, { function: 'f', device: 'cpu-0', profile }]]);
  });

  it('writes nothing for a function deleted meanwhile', async () => {
    const t = setup();
    await t.sut.profile(record, {} as LoadedModel, 1, 1, sample);
    expect(await t.stored()).toBeUndefined();
  });

  it('profiles with a live request later and gives its times to the estimator', async () => {
    const t = setup();
    await t.kv.put('f', encodeJson(record));
    const unit = { record, model: {} as LoadedModel, loadMs: 3, memoryBytes: 9 } as unknown as ServingUnit<WorkerWanted, LoadedModel>;
    await expect(t.sut.profileWith(unit, sample)).resolves.toEqual({ '1': 2, '4': 5 });
  });
});
