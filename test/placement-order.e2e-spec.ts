import { Bucket, DevicePlacement, encodeTensorsMsgpack } from '@epara/contracts';
import { buildAdd, sha256Of } from '@epara/runtime';
import { Kvm } from '@nats-io/kv';
import { headers as natsHeaders, Msg } from '@nats-io/transport-node';
import { WorkerService } from '../apps/worker/src/serving/worker.service';
import { startCluster, TestCluster, waitFor } from './support/cluster';
import { deployMultipart } from './support/http';

/**
 * A worker watches two KV buckets, placements and function records, and nothing orders one watch's
 * updates with the other's: a placement can name a function whose record the worker has not seen yet.
 * Before the fix such a function never loaded (this test timed out); the likely cause of two benchmark
 * runs in which a function never became ready. Here the order is forced (no scheduler: the
 * test writes the placement itself, then deploys).
 */
describe('a placement that arrives before the function record it names', () => {
  let c: TestCluster;
  beforeAll(async () => {
    c = await startCluster({ workers: 1, scheduler: false });
  });
  afterAll(async () => {
    await c?.stop();
  });

  it('is served once the record arrives', async () => {
    const model = buildAdd();
    const placement: DevicePlacement = {
      device: 'cpu-0',
      assignments: [{ fn: 'late', mode: 'dp', sha256: sha256Of(model), maxBatchSize: 8, maxQueueDelayMs: 2 }],
      reason: 'test: placement written before the function exists',
      at: Date.now(),
    };
    const kv = await new Kvm(c.client).create(Bucket.Placement);
    await kv.put('cpu-0', JSON.stringify(placement));
    const worker = c.workers[0].get(WorkerService);
    // The worker has seen that placement and found no record for it.
    await new Promise((r) => setTimeout(r, 500));
    await worker.settled();
    expect(worker.functionLoads().map((f) => f.fn)).not.toContain('late');

    const res = await deployMultipart(c.gatewayUrl, { name: 'late', kind: 'tensor', slo: { latencyMs: 1000 } }, model);
    expect(res.status).toBe(201);
    await waitFor(() => worker.functionLoads().some((f) => f.fn === 'late'), 20_000, 'the worker loads "late"');
    const h = natsHeaders();
    h.set('Content-Type', 'application/msgpack');
    h.set('Accept', 'application/msgpack');
    const input = encodeTensorsMsgpack([
      { name: 'a', datatype: 'FP32', shape: [1, 4], data: new Float32Array([1, 2, 3, 4]) },
      { name: 'b', datatype: 'FP32', shape: [1, 4], data: new Float32Array([1, 1, 1, 1]) },
    ]);
    const reply = (await waitFor(
      async () => {
        const m = await c.client.request('epara.v1.invoke.late', input, { timeout: 5_000, headers: h });
        return m.headers?.get('Nats-Service-Error-Code') ? false : m;
      },
      20_000,
      '"late" answers',
    )) as Msg;
    expect(reply.headers?.get('Epara-Device')).toBe('cpu-0');
  });
});
