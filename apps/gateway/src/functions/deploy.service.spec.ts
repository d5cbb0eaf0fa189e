import { EparaError, EventKind, EventPayload, EventPublisher, FunctionRecord, Mode } from '@epara/contracts';
import { encodeJson, FunctionRepository, NatsClient } from '@epara/nats';
import { InMemoryKvBucket } from '@epara/nats/testing';
import { servingPolicy } from '@epara/policy';
import { ClusterView } from '../cluster/cluster-view.service';
import { GatewayConfig } from '../config';
import { DeployService } from './deploy.service';
import { FunctionMirror, FunctionRegistry } from './function-registry.service';

/** The registry's mirror as a plain map: what this gateway last wrote or saw. */
class MapMirror implements FunctionMirror {
  readonly values = new Map<string, FunctionRecord>();
  get = (name: string) => this.values.get(name);
  all = () => [...this.values.values()];
  remember = (name: string, r: FunctionRecord | undefined) => void (r ? this.values.set(name, r) : this.values.delete(name));
  stop = () => undefined;
}

class RecordingEvents implements EventPublisher {
  readonly emitted: { kind: EventKind; payload: unknown }[] = [];
  emit<K extends EventKind>(kind: K, payload: EventPayload<K>): void {
    this.emitted.push({ kind, payload });
  }
}

function functionRecord(name: string, over: Partial<FunctionRecord> = {}): FunctionRecord {
  return {
    name,
    kind: 'tensor',
    slo: { latencyMs: 100 },
    model: { sha256: 'abc', sizeBytes: 1000, format: 'onnx', inputs: [], outputs: [], batchable: true, source: 'upload' },
    category: {
      sensitivity: 'latency',
      footprint: 'single',
      mode: Mode.Dp,
      reason: 'test',
      provisional: true,
      pinned: false,
      decidedAt: 0,
    },
    profiles: {},
    createdAt: 1,
    updatedAt: 1,
    ...over,
  };
}

describe('DeployService (patch and remove over the function store)', () => {
  let kv: InMemoryKvBucket;
  let mirror: MapMirror;
  let events: RecordingEvents;
  let sut: DeployService;

  /** Stores a record as another process would (in KV, and seen by this gateway's mirror). */
  const stored = (r: FunctionRecord) => {
    kv.write(r.name, encodeJson(r));
    mirror.values.set(r.name, r);
  };

  beforeEach(() => {
    kv = new InMemoryKvBucket();
    mirror = new MapMirror();
    events = new RecordingEvents();
    const registry = new FunctionRegistry(undefined as unknown as NatsClient).bind(new FunctionRepository(kv), mirror);
    const cluster = { state: { liveDevices: () => [] } } as unknown as ClusterView;
    const config = { policy: servingPolicy('epara') } as GatewayConfig;
    sut = new DeployService(undefined as unknown as NatsClient, registry, cluster, config, events);
  });

  it('applies a patch to the stored record, re-categorizes it, and announces the update', async () => {
    stored(functionRecord('ocr'));
    const next = await sut.patch('ocr', { slo: { latencyMs: 250 }, hints: { mode: 'batch' } });
    expect(next.slo.latencyMs).toBe(250);
    expect(next.hints?.mode).toBe('batch');
    expect(next.category.mode).toBe('batch');
    expect(next.category.pinned).toBe(true);
    // KV holds the JSON of it (undefined fields of the validated patch drop out).
    expect(await new FunctionRepository(kv).get('ocr')).toEqual(JSON.parse(JSON.stringify(next)));
    expect(mirror.get('ocr')).toEqual(next);
    expect(events.emitted).toEqual([{ kind: EventKind.Updated, payload: { function: 'ocr', category: next.category } }]);
  });

  it('keeps the hints and expectations a patch does not name', async () => {
    stored({ ...functionRecord('ocr'), hints: { maxBatchSize: 4, replicas: 2 }, expected: { rps: 30 } });
    const next = await sut.patch('ocr', { hints: { maxQueueDelayMs: 3 } });
    expect(next.hints).toEqual({ maxBatchSize: 4, replicas: 2, maxQueueDelayMs: 3 });
    expect(next.expected).toEqual({ rps: 30 });
  });

  it('re-applies the patch on top of a write that raced it (a worker storing a profile)', async () => {
    stored(functionRecord('ocr'));
    let raced = false;
    kv.beforeUpdate = (key) => {
      if (raced) return;
      raced = true;
      kv.write(
        key,
        encodeJson(
          functionRecord('ocr', {
            profiles: {
              'cpu-ep': {
                deviceClass: 'cpu-ep',
                execMsByBatch: { '1': 5 },
                memoryBytes: 4000,
                loadMs: 10,
                shapeClass: '3x4',
                measuredAt: 2,
                device: 'w1',
              },
            },
          }),
        ),
      );
    };
    const next = await sut.patch('ocr', { description: 'text boxes' });
    expect(next.description).toBe('text boxes');
    expect(Object.keys(next.profiles)).toEqual(['cpu-ep']);
    expect(kv.updates).toBe(2);
  });

  it('answers 409 when every attempt lost the race, and announces nothing', async () => {
    stored(functionRecord('ocr'));
    kv.beforeUpdate = (key) => kv.write(key, encodeJson(functionRecord('ocr', { updatedAt: Math.random() })));
    const error = await sut.patch('ocr', { description: 'x' }).catch((e) => e);
    expect(error).toBeInstanceOf(EparaError);
    expect(error.code).toBe(409);
    expect(error.message).toBe('function "ocr" changed while it was being updated; retry');
    expect(events.emitted).toEqual([]);
  });

  it('answers 404 to a patch of a function that is not deployed', async () => {
    const error = await sut.patch('nope', { description: 'x' }).catch((e) => e);
    expect(error.code).toBe(404);
    expect(error.message).toBe('function "nope" is not deployed');
  });

  it('removes a deployed function and announces it; 404 for one that is not', async () => {
    stored(functionRecord('ocr'));
    await sut.remove('ocr');
    expect(await new FunctionRepository(kv).get('ocr')).toBeUndefined();
    expect(mirror.get('ocr')).toBeUndefined();
    expect(events.emitted).toEqual([{ kind: EventKind.Deleted, payload: { function: 'ocr' } }]);
    await expect(sut.remove('ocr')).rejects.toMatchObject({ code: 404 });
  });
});

describe('FunctionRegistry.create', () => {
  it('answers 409 when the name is taken in KV, even when this gateway has not seen it yet', async () => {
    const kv = new InMemoryKvBucket();
    const mirror = new MapMirror();
    const sut = new FunctionRegistry(undefined as unknown as NatsClient).bind(new FunctionRepository(kv), mirror);
    kv.write('ocr', encodeJson(functionRecord('ocr')));
    await expect(sut.create(functionRecord('ocr', { createdAt: 2 }))).rejects.toMatchObject({
      code: 409,
      message: 'function "ocr" already exists: PATCH it, or DELETE it first',
    });
    await sut.create(functionRecord('det'));
    expect(sut.list().map((r) => r.name)).toEqual(['det']);
  });
});
