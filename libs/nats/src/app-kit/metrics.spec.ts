import { Counter, Histogram, Registry } from 'prom-client';
import { removeSeries } from './metrics';

describe(removeSeries.name, () => {
  it("removes every series of one function, buckets included, and leaves the others' alone", async () => {
    const registry = new Registry();
    const requests = new Counter({ name: 'requests_total', help: 'h', labelNames: ['function', 'outcome'], registers: [registry] });
    const latency = new Histogram({
      name: 'latency_seconds',
      help: 'h',
      labelNames: ['function'],
      buckets: [0.1, 1],
      registers: [registry],
    });
    for (const fn of ['gone', 'kept']) {
      requests.inc({ function: fn, outcome: 'ok' });
      requests.inc({ function: fn, outcome: '404' });
      latency.observe({ function: fn }, 0.5);
    }
    await removeSeries([requests, latency], { function: 'gone' });
    const text = await registry.metrics();
    expect(text).not.toContain('function="gone"');
    expect(text.split('\n').filter((l) => l.includes('function="kept"'))).toHaveLength(2 + 5); // 2 outcomes; 3 buckets, sum, count
    requests.inc({ function: 'gone', outcome: 'ok' }); // a function deployed again under the name starts afresh
    expect(await registry.metrics()).toContain('requests_total{function="gone",outcome="ok"} 1');
  });
});
