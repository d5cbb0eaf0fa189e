import { RunSummary } from './types';

export interface GoodputPlotOptions {
  title?: string;
  /** Shade [0, warmupS) as warm-up. */
  warmupS?: number;
  width?: number;
  height?: number;
}

/**
 * SVG line chart of goodput over time, one line per run (policy), from each run's timeline buckets.
 * Rendered headless with vega-lite → vega (both ESM: loaded with a dynamic import).
 */
export async function goodputTimelineSvg(runs: readonly RunSummary[], opts: GoodputPlotOptions = {}): Promise<string> {
  const values: { t: number; policy: string; goodput: number }[] = [];
  for (const r of runs) {
    const b = r.timeline.bucketMs / 1000;
    r.timeline.goodPerS.forEach((g, i) => values.push({ t: i * b, policy: r.label, goodput: g }));
  }
  const line = {
    mark: { type: 'line', strokeWidth: 1.2, interpolate: 'step-after' },
    encoding: {
      x: { field: 't', type: 'quantitative', title: 'time (s, reply time)' },
      y: { field: 'goodput', type: 'quantitative', title: 'goodput (req/s within SLO)' },
      color: { field: 'policy', type: 'nominal', title: 'policy' },
    },
  };
  const layers: unknown[] = [];
  if (opts.warmupS && opts.warmupS > 0) {
    layers.push({
      data: { values: [{ from: 0, to: opts.warmupS }] },
      mark: { type: 'rect', color: '#eee' },
      encoding: { x: { field: 'from', type: 'quantitative' }, x2: { field: 'to' } },
    });
  }
  layers.push({ data: { values }, ...line });
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: opts.title ?? 'goodput over time',
    width: opts.width ?? 720,
    height: opts.height ?? 300,
    layer: layers,
  };
  const vl = await importEsm('vega-lite');
  const vega = await importEsm('vega');
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/**
 * `import()` that a CommonJS build leaves alone: vega and vega-lite are ESM-only (with top-level
 * await), so TypeScript's `require()` rewrite of `import()` would fail to load them.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- vega's and vega-lite's module shapes are used untyped here
const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<any>;
