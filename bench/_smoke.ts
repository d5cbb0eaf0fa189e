import { encodeTensorsMsgpack } from '@epara/contracts';
import { buildAdd } from '@epara/runtime';
import { withCluster, rssBytes } from './lib/cluster';
import { natsInvoker, sequential, closedLoop } from './lib/load';
import { summarize } from './lib/stats';
(async () => {
  const t0 = Date.now();
  await withCluster({ workers: 1, workerEnv: () => ({ EPARA_BATCHING_OFF: '1' }) }, async (c) => {
    console.log('started in', Date.now() - t0, 'ms; worker rss', rssBytes(c.workers[0].pid));
    const d = await c.deploy({ name: 'add', kind: 'tensor', slo: { latencyMs: 100 } }, buildAdd());
    console.log('deployed', d.mode, Date.now() - t0, 'ms');
    const body = encodeTensorsMsgpack([{ name: 'a', datatype: 'FP32', shape: [1, 4], data: new Float32Array(4) }, { name: 'b', datatype: 'FP32', shape: [1, 4], data: new Float32Array(4) }]);
    for (const subj of ['epara.v1.invoke.add', 'epara.v1.dp.add']) {
    const inv = natsInvoker(c.nc, subj, body, { contentType: 'application/msgpack', accept: 'application/msgpack' });
    const s1 = summarize(await sequential(inv, { requests: 2000 }));
    console.log(subj, s1.p50, s1.p99);
    const s = summarize(await closedLoop(inv, { concurrency: 64, durationMs: 3000 }));
    console.log(subj, s.throughput, s.p50, s.errors);
    }
  });
  console.log('total', Date.now() - t0);
})().catch((e) => { console.error(e); process.exit(1); });
