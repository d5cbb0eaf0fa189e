import { Registry } from 'prom-client';
import { GatewayMetrics, LATENCY_BUCKETS_S, UNKNOWN_FUNCTION_LABEL } from '../common/gateway-metrics';
import { FunctionRegistry } from '../functions/function-registry.service';
import { readFunctionTotals } from './dashboard-history.service';

describe(readFunctionTotals.name, () => {
  const metricsWith = (record: (m: GatewayMetrics) => void) => {
    const m = new GatewayMetrics(new Registry(), { onRemoved: () => undefined } as unknown as FunctionRegistry);
    record(m);
    return m;
  };

  it('counts every outcome as offered, judges only those the gateway saw, and sums latency over the transports', async () => {
    const m = metricsWith((x) => {
      x.requests.inc({ function: 'mlp', transport: 'http', outcome: 'ok' }, 6);
      x.requests.inc({ function: 'mlp', transport: 'nats', outcome: 'slo_missed' }, 2);
      x.requests.inc({ function: 'mlp', transport: 'http', outcome: '429' }, 1);
      x.requests.inc({ function: 'mlp', transport: 'nats', outcome: 'forwarded' }, 30);
      x.goodRequests.inc({ function: 'mlp' }, 6);
      x.latency.observe({ function: 'mlp', transport: 'http' }, 0.003);
      x.latency.observe({ function: 'mlp', transport: 'nats' }, 0.004);
      x.latency.observe({ function: 'mlp', transport: 'nats' }, 60);
    });

    const t = (await readFunctionTotals(m)).mlp;

    expect(t).toMatchObject({ offered: 39, judged: 9, good: 6 });
    expect(t.latencySeconds.bounds).toEqual([...LATENCY_BUCKETS_S, Infinity]);
    const at = (bound: number) => t.latencySeconds.counts[t.latencySeconds.bounds.indexOf(bound)];
    expect([at(0.002), at(0.005), at(30), at(Infinity)]).toEqual([0, 2, 2, 3]);
  });

  it('leaves out the requests for names that are not deployed', async () => {
    const m = metricsWith((x) => x.requests.inc({ function: UNKNOWN_FUNCTION_LABEL, transport: 'http', outcome: '404' }));

    expect(await readFunctionTotals(m)).toEqual({});
  });
});
