import type { Categorization, DevicePlacement, DeviceState, FunctionLoad, FunctionRecord, Profile } from '@epara/contracts';

/** Small builders for the scheduler's specs: a record, a heartbeat, a device key. */

export function category(over: Partial<Categorization> = {}): Categorization {
  return {
    sensitivity: 'latency',
    footprint: 'single',
    mode: 'dp',
    reason: 'test',
    provisional: false,
    pinned: false,
    decidedAt: 0,
    ...over,
  };
}

export function profile(execMsByBatch: Record<string, number>, memoryBytes = 100e6): Profile {
  return { deviceClass: 'cpu-t1', execMsByBatch, memoryBytes, loadMs: 50, shapeClass: '', measuredAt: 0, device: 'cpu-0' };
}

export function record(name: string, over: Partial<FunctionRecord> = {}): FunctionRecord {
  return {
    name,
    kind: 'tensor',
    slo: { latencyMs: 50 },
    model: { sha256: `sha-${name}`, sizeBytes: 10e6, format: 'onnx', inputs: [], outputs: [], batchable: true, source: 'test' },
    category: category(),
    profiles: { 'cpu-t1': profile({ '1': 2, '8': 6 }) },
    createdAt: 0,
    updatedAt: 0,
    ...over,
  };
}

export function heartbeat(device: string, functions: Partial<FunctionLoad>[] = [], over: Partial<DeviceState> = {}): DeviceState {
  return {
    device,
    slot: device,
    host: 'test',
    deviceClass: 'cpu-t1',
    executionProvider: 'cpu',
    memoryBytes: 4e9,
    memoryFreeBytes: 4e9,
    threads: 1,
    utilization: 0,
    queued: 0,
    running: 0,
    functions: functions.map((f) => ({
      fn: 'x',
      mode: 'dp',
      queued: 0,
      running: 0,
      completed: 0,
      received: 0,
      execMsEwma: 1,
      preferredBatchSize: 1,
      ready: true,
      ...f,
    })),
    draining: false,
    startedAt: 0,
    at: 0,
    version: 'test',
    ...over,
  };
}

export function placementKey(device: string, fns: string[], mode: 'dp' | 'batch' = 'dp'): DevicePlacement {
  return {
    device,
    assignments: fns.map((fn) => ({ fn, mode, sha256: `sha-${fn}`, maxBatchSize: 8, maxQueueDelayMs: 1 })),
    reason: 'earlier',
    at: 0,
  };
}
