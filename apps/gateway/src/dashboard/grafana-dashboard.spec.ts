import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { createRegistry } from '@epara/nats';
import { WorkerMetrics } from '../../../worker/src/state/worker-metrics';
import { GatewayMetrics } from '../common/gateway-metrics';
import { FunctionRegistry } from '../functions/function-registry.service';

const DASHBOARD = join(__dirname, '..', '..', '..', '..', 'docs', 'grafana', 'epara.json');

/** Labels Prometheus adds to every scraped series (not in the code), and a histogram bucket's bound. */
const SCRAPE_LABELS = ['instance', 'job'];

interface Panel {
  type: string;
  title: string;
  datasource?: { uid: string };
  targets?: { expr: string; legendFormat?: string; datasource?: { uid: string } }[];
}

/** Every metric the apps export, with its type and labels, from the real registries (what /metrics serves). */
async function exportedMetrics(): Promise<Map<string, { type: string; labels: Set<string> }>> {
  const gateway = createRegistry('gateway');
  new GatewayMetrics(gateway, { onRemoved: () => undefined } as unknown as FunctionRegistry);
  const worker = createRegistry('worker', 'cpu-0');
  new WorkerMetrics(worker);
  const out = new Map<string, { type: string; labels: Set<string> }>();
  for (const [registry, defaults] of [
    [gateway, ['app']],
    [worker, ['app', 'device']],
  ] as [Registry, string[]][]) {
    for (const m of await registry.getMetricsAsJSON()) {
      const labelNames = ((registry.getSingleMetric(m.name) as unknown as { labelNames?: string[] }).labelNames ?? []) as string[];
      out.set(m.name, { type: String(m.type), labels: new Set([...defaults, ...labelNames, ...SCRAPE_LABELS]) });
    }
  }
  return out;
}

/** The exported metric a name in a query reads: a histogram's `_bucket`, `_sum` and `_count` series are its own. */
function metricOf(name: string, metrics: Map<string, { type: string }>): string | undefined {
  if (metrics.has(name)) return name;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return base !== name && metrics.get(base)?.type === 'histogram' ? base : undefined;
}

describe('docs/grafana/epara.json', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8'));
  const panels = (dashboard.panels as Panel[]).filter((p) => p.type !== 'row');
  const queries = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, ...t })));
  const variableQueries = (dashboard.templating.list as { name: string; definition?: string }[]).flatMap((v) =>
    v.definition ? [{ panel: `variable $${v.name}`, expr: v.definition, legendFormat: undefined }] : [],
  );

  it('is a Grafana 10+ dashboard over a Prometheus datasource variable, with a panel for each thing the gateway page plots', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(38);
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }),
    );
    for (const p of panels) expect(p.datasource?.uid).toBe('${datasource}');
    const titles = panels.map((p) => p.title).join('\n');
    for (const topic of [/goodput/i, /within the slo/i, /p50.*p95.*p99/i, /queue depth/i, /batch size/i, /utilization/i, /placement/i])
      expect(titles).toMatch(topic);
  });

  it('queries only metrics the apps export, with labels those metrics have (fails when a metric or label is renamed)', async () => {
    const metrics = await exportedMetrics();
    const problems: string[] = [];
    let referenced = 0;
    for (const q of [...queries, ...variableQueries]) {
      const names = [...q.expr.matchAll(/\b(epara_[a-z0-9_]+)\b/g)].map((m) => m[1]);
      if (!names.length) problems.push(`${q.panel}: ${q.expr} reads no epara metric`);
      const read = names.map((n) => ({ n, metric: metricOf(n, metrics) }));
      for (const { n, metric } of read) if (!metric) problems.push(`${q.panel}: ${n} is not exported by the gateway or the worker`);
      referenced += read.length;
      // Labels a query names: in selectors ({function=~"…"}), in by (…) / without (…), and in its legend ({{device}}).
      const selectorLabels = [...q.expr.matchAll(/[{,]\s*([a-z_]+)\s*(?:=~|!~|!=|=)/g)].map((m) => m[1]);
      const groupLabels = [...q.expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)].flatMap((m) => m[1].split(',').map((l) => l.trim()));
      const legendLabels = [...(q.legendFormat ?? '').matchAll(/\{\{\s*([a-z_]+)\s*\}\}/g)].map((m) => m[1]);
      const known = new Set(
        read.flatMap(({ n, metric }) => (metric ? [...metrics.get(metric)!.labels, ...(n.endsWith('_bucket') ? ['le'] : [])] : [])),
      );
      for (const label of new Set([...selectorLabels, ...groupLabels, ...legendLabels]))
        if (!known.has(label)) problems.push(`${q.panel}: label "${label}" is on none of ${names.join(', ')}`);
    }

    expect(problems).toEqual([]);
    expect(referenced).toBeGreaterThan(20);
  });

  it('the check above catches a renamed metric', async () => {
    const metrics = await exportedMetrics();

    expect(metricOf('epara_gateway_request_duration_seconds_bucket', metrics)).toBe('epara_gateway_request_duration_seconds');
    expect(metricOf('epara_gateway_good_requests', metrics)).toBeUndefined();
    expect(metricOf('epara_gateway_requests_total_count', metrics)).toBeUndefined();
  });
});
