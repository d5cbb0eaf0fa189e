import { Registry } from 'prom-client';
import { WorkerMetrics } from './worker-metrics';

describe(WorkerMetrics.name, () => {
  it('forgets a unit that left the device: its series go, and it starts afresh if it comes back', async () => {
    const registry = new Registry();
    const metrics = new WorkerMetrics(registry);
    for (const unit of ['vad', 'ocr#0']) {
      const m = metrics.forUnit(unit);
      m.ok.inc();
      m.failed(429).inc();
      m.latency.observe(0.01);
      m.batchSize.observe(4);
      metrics.queueDepth.set({ function: unit }, 3);
    }
    await metrics.forget('ocr#0');
    const text = await registry.metrics();
    expect(text).not.toContain('function="ocr#0"');
    expect(text).toContain('epara_worker_requests_total{function="vad",outcome="ok"} 1');
    metrics.forUnit('ocr#0').ok.inc();
    expect(await registry.metrics()).toContain('epara_worker_requests_total{function="ocr#0",outcome="ok"} 1');
  });
});
