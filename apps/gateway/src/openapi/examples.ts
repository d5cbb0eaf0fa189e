import type { ApiKeyView, CreateApiKeyDto, CreatedApiKey, DeployFunctionDto, FunctionRecord } from '@epara/contracts';

/**
 * Examples for the OpenAPI document. Typed against the records the routes return, so a changed
 * record breaks the build instead of leaving the docs wrong.
 */

/** A spec naming a bundled model: the whole deploy request as JSON. */
export const DEPLOY_SPEC_EXAMPLE = {
  name: 'vad',
  kind: 'tensor',
  description: 'voice activity detection over 32 ms audio frames',
  slo: { latencyMs: 32 },
  expected: { rps: 250 },
  hints: { mode: 'batch', maxBatchSize: 64, maxQueueDelayMs: 4 },
  model: { bundled: 'silero-vad' },
} satisfies DeployFunctionDto;

/** The same deploy as multipart: the spec as a text field, the model as a file part. */
export const DEPLOY_MULTIPART_EXAMPLE = {
  spec: JSON.stringify({ name: 'add', kind: 'tensor', slo: { latencyMs: 50 } }),
  model: '(the ONNX file, e.g. -F model=@add.onnx)',
};

export const FUNCTION_RECORD_EXAMPLE = {
  name: 'add',
  kind: 'tensor',
  slo: { latencyMs: 50 },
  model: {
    sha256: '9f2c4e0b7a1d5c3e8f6a4b2d0c9e7f5a3b1d8c6e4f2a0b9d7c5e3f1a8b6d4c2e',
    sizeBytes: 180,
    format: 'onnx',
    inputs: [
      { name: 'a', datatype: 'FP32', shape: ['N', 4], batchAxis: 0 },
      { name: 'b', datatype: 'FP32', shape: ['N', 4], batchAxis: 0 },
    ],
    outputs: [
      { name: 'sum', datatype: 'FP32', shape: ['N', 4], batchAxis: 0 },
      { name: 'product', datatype: 'FP32', shape: ['N', 4], batchAxis: 0 },
    ],
    batchable: true,
    source: 'upload',
  },
  category: {
    sensitivity: 'latency',
    footprint: 'single',
    mode: 'dp',
    reason: 'SLO 50 ms, no profile yet: latency-sensitive; the model (180 B) fits one device: single → dp',
    provisional: true,
    pinned: false,
    decidedAt: 1764770000000,
  },
  profiles: {},
  createdAt: 1764770000000,
  updatedAt: 1764770000000,
} satisfies FunctionRecord;

/** An Open Inference Protocol request for the `add` model: two FP32 [1, 4] tensors. */
export const INFER_REQUEST_EXAMPLE = {
  id: 'req-1',
  inputs: [
    { name: 'a', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] },
    { name: 'b', shape: [1, 4], datatype: 'FP32', data: [1, 1, 1, 1] },
  ],
};

/** Its answer. */
export const INFER_RESPONSE_EXAMPLE = {
  model_name: 'add',
  id: 'req-1',
  outputs: [
    { name: 'sum', datatype: 'FP32', shape: [1, 4], data: [2, 3, 4, 5] },
    { name: 'product', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] },
  ],
};

export const CREATE_KEY_EXAMPLE = { name: 'camera-fleet', scopes: ['invoke:cam-*'], ttl: '90d' } satisfies CreateApiKeyDto;

const KEY_VIEW_EXAMPLE = {
  id: '0a1b2c3d',
  name: 'camera-fleet',
  scopes: ['invoke:cam-*'],
  createdAt: '2026-12-03T14:00:00.000Z',
  expiresAt: '2027-03-03T14:00:00.000Z',
  expired: false,
} satisfies ApiKeyView;

export const CREATED_KEY_EXAMPLE = {
  ...KEY_VIEW_EXAMPLE,
  key: 'epk_0a1b2c3d_q8Xv3mZrT0bN5kLw2pYh7sJd4fGc9aQe1uRi6oVx0tB',
} satisfies CreatedApiKey;

export const KEY_LIST_EXAMPLE = { keys: [KEY_VIEW_EXAMPLE] } satisfies { keys: ApiKeyView[] };
