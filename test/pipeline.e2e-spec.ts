import * as ort from 'onnxruntime-node';
import { buildMlp } from '@epara/runtime';
import { startCluster, TestCluster, waitFor } from './support/cluster';
import { deployMultipart, http, postJson } from './support/http';

/**
 * The `pp` mode: devices too small for the whole model (3 MB each; the MLP needs ~3.2 MB counted at
 * twice its 1.6 MB file), so it is categorized multi, cut into two stages, placed on two workers and
 * served stage to stage — with the outputs of the whole model.
 */
describe('pipeline-parallel (pp) over two workers too small for the whole model', () => {
  let c: TestCluster;

  beforeAll(async () => {
    c = await startCluster({ workers: 3, env: { EPARA_DEVICE_MEMORY_MB: '3' } });
  });
  afterAll(async () => {
    await c?.stop();
  });

  it('categorizes multi → pp, cuts the model into stages on different devices, and returns the whole model’s outputs', async () => {
    const model = buildMlp();
    const r = await deployMultipart(c.gatewayUrl, { name: 'big-mlp', kind: 'tensor', slo: { latencyMs: 2000 } }, model);
    expect(r.status).toBe(201);
    const rec = r.json();
    expect(rec.category).toMatchObject({ footprint: 'multi', mode: 'pp' });
    expect(rec.category.reason).toMatch(/memory/);
    expect(rec.model.stages).toHaveLength(2);
    const placement = await waitFor(
      async () => {
        const p = (await http(`${c.gatewayUrl}/v1/placement`)).json().placement as {
          device: string;
          assignments: { fn: string; stage?: number }[];
        }[];
        const stages = p.flatMap((d) => d.assignments.filter((a) => a.fn === 'big-mlp').map((a) => [a.stage, d.device]));
        return stages.length >= 2 && new Set(stages.map((s) => s[0])).size === 2 ? stages : undefined;
      },
      20_000,
      'both stages placed',
    );
    const devicesOf = (stage: number) => placement.filter((s) => s[0] === stage).map((s) => s[1]);
    expect(devicesOf(0).some((d) => !devicesOf(1).includes(d))).toBe(true);

    const x = Float32Array.from({ length: 256 }, (_, i) => Math.cos(i / 7));
    const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1 });
    const direct = Array.from((await session.run({ x: new ort.Tensor('float32', x, [1, 256]) })).logits.data as Float32Array);
    await session.release();
    const body = { inputs: [{ name: 'x', shape: [1, 256], datatype: 'FP32', data: Array.from(x) }] };
    const res = await waitFor(
      async () => {
        const out = await postJson(`${c.gatewayUrl}/v1/functions/big-mlp/invoke`, body);
        return out.status === 200 ? out : undefined;
      },
      20_000,
      'pipeline answers',
    );
    expect(res.headers.get('epara-mode')).toBe('pp');
    expect(res.headers.get('epara-device')!.split(',')).toHaveLength(2);
    const logits: number[] = res.json().outputs[0].data;
    expect(logits).toHaveLength(10);
    for (let i = 0; i < 10; i++) expect(Math.abs(logits[i] - direct[i])).toBeLessThan(1e-4);

    // Bad input is still answered by the first stage with the model's own message.
    const bad = await postJson(`${c.gatewayUrl}/v1/functions/big-mlp/invoke`, {
      inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }],
    });
    expect(bad.status).toBe(400);
    expect(bad.json().error.message).toMatch(/input "x"/);
  });

  it('re-places a stage whose worker stops, and new requests succeed', async () => {
    const stagesOn = async () =>
      (
        (await http(`${c.gatewayUrl}/v1/placement`)).json().placement as {
          device: string;
          assignments: { fn: string; stage?: number }[];
          away?: boolean;
        }[]
      )
        // A stopped worker's key waits for its return (away): what serves is the rest.
        .filter((d) => !d.away)
        .flatMap((d) => d.assignments.filter((a) => a.fn === 'big-mlp').map((a) => ({ stage: a.stage!, device: d.device })));
    const before = await stagesOn();
    const victim = before.find((s) => s.stage === 1)!.device;
    await c.workers[Number(victim.split('-')[1])].close();
    await waitFor(
      async () => {
        const now = await stagesOn();
        return now.some((s) => s.stage === 1 && s.device !== victim) && !now.some((s) => s.device === victim);
      },
      20_000,
      'stage 1 re-placed on a live worker',
    );
    const body = { inputs: [{ name: 'x', shape: [1, 256], datatype: 'FP32', data: new Array(256).fill(0.25) }] };
    const res = await waitFor(
      async () => {
        const out = await postJson(`${c.gatewayUrl}/v1/functions/big-mlp/invoke`, body);
        return out.status === 200 ? out : undefined;
      },
      20_000,
      'pipeline answers after the move',
    );
    expect(res.json().outputs[0].data).toHaveLength(10);
    expect(res.headers.get('epara-device')!.split(',')).not.toContain(victim);
  });
});
