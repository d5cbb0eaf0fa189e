import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, BrowserContext } from 'playwright-core';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { Header, MediaType, subjects } from '@epara/contracts';
import { buildAdd, buildMlp } from '@epara/runtime';
import { startCluster, TestCluster, TEST_ADMIN_KEY, waitFor } from './support/cluster';
import { deployMultipart, http, httpAsIs, postJson } from './support/http';

/** Debian's Chromium (npm test installs it when missing, and names it in CHROMIUM_BIN). */
const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const addBody = { inputs: ['a', 'b'].map((name) => ({ name, shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] })) };
const mlpBody = { inputs: [{ name: 'x', shape: [1, 256], datatype: 'FP32', data: new Array(256).fill(0.5) }] };

interface PlotData {
  labels: string[];
  /** uPlot's data: [x (s), ...one array per series]. */
  data: (number | null)[][];
  canvases: number;
}

describe('dashboard: live plots of the history in a real browser (real apps, Debian Chromium)', () => {
  let c: TestCluster;
  let browser: BrowserContext | undefined;
  let profileDir: string;
  const shotsDir = mkdtempSync(join(tmpdir(), 'epara-dashboard-shots-'));

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(
        `no Chromium at ${CHROMIUM}: ${process.env.EPARA_TEST_NO_CHROMIUM ?? 'run the tests with `npm test` (it installs Debian’s chromium package when root), or `apt-get install chromium`, or set CHROMIUM_BIN'}`,
      );
    c = await startCluster({ workers: 2 });
    const deployed = await Promise.all([
      deployMultipart(c.gatewayUrl, { name: 'add', kind: 'tensor', slo: { latencyMs: 2000 } }, buildAdd()),
      deployMultipart(c.gatewayUrl, { name: 'mlp', kind: 'tensor', slo: { latencyMs: 2000 }, expected: { rps: 100000 } }, buildMlp()),
    ]);
    expect(deployed.map((r) => r.status)).toEqual([201, 201]);
    for (const fn of ['add', 'mlp'])
      await waitFor(async () => (await http(`${c.gatewayUrl}/v2/models/${fn}/ready`)).status === 200, 30_000, `${fn} ready`);
  });
  afterAll(async () => {
    await browser?.close();
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
    await c?.stop();
  });

  /** Real invocations over HTTP, and over NATS with direct reply (the worker answers the producer), every answer checked. */
  const invoke = async (n: number) => {
    const json = natsHeaders();
    json.set(Header.ContentType, MediaType.Json);
    for (let i = 0; i < n; i++) {
      const [add, mlp, overNats] = await Promise.all([
        postJson(`${c.gatewayUrl}/v1/functions/add/invoke`, addBody),
        postJson(`${c.gatewayUrl}/v1/functions/mlp/invoke`, mlpBody),
        c.client.request(subjects.invoke('add'), JSON.stringify(addBody), { timeout: 10_000, headers: json }),
      ]);
      expect([add.status, mlp.status, overNats.headers?.get('Nats-Service-Error-Code') || 'ok']).toEqual([200, 200, 'ok']);
    }
  };

  it('serves the history to a key with scope read only, and refuses a malformed `since` naming it', async () => {
    const url = `${c.gatewayUrl}/v1/dashboard/series`;

    expect((await httpAsIs(url)).status).toBe(401);
    const bad = await http(`${url}?since=yesterday`);
    expect(bad.status).toBe(400);
    expect(bad.json().error.message).toBe('query parameter "since" must be epoch milliseconds (a non-negative integer), not "yesterday"');
    const ok = (await http(url)).json();
    expect(ok).toMatchObject({ periodMs: 2000, capacity: 900, functions: { add: { sloMs: 2000 }, mlp: { sloMs: 2000 } } });
  });

  it('serves uPlot from the installed package, without a key (the page loads it before it has one)', async () => {
    const js = await httpAsIs(`${c.gatewayUrl}/dashboard/uplot.js`);
    const css = await httpAsIs(`${c.gatewayUrl}/dashboard/uplot.css`);

    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(js.body.equals(readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js')))).toBe(true);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
  });

  it('shows the history from before the page was opened in its plots, its summary lines and its tables', async () => {
    await invoke(40);
    // The sample covering those requests exists before the page opens: the page must show the past, not only what follows.
    const series = await waitFor(
      async () => {
        const s = (await http(`${c.gatewayUrl}/v1/dashboard/series`)).json();
        const good = (fn: string) =>
          s.samples.some((x: { functions: Record<string, { goodputRps: number }> }) => x.functions[fn]?.goodputRps > 0);
        return good('add') && good('mlp') && s;
      },
      20_000,
      'a sample with goodput for add and mlp',
    );
    // NATS requests forwarded with direct reply are offered here, but their outcome is the worker's: not judged here.
    expect(
      series.samples.some(
        (x: { functions: Record<string, { offeredRps: number; judgedRps: number }> }) =>
          x.functions.add?.offeredRps > x.functions.add?.judgedRps,
      ),
    ).toBe(true);
    const goodAt = series.samples.find((x: { functions: Record<string, { goodputRps: number }> }) => x.functions.add?.goodputRps > 0).at;

    profileDir = mkdtempSync(join(tmpdir(), 'epara-chromium-profile-'));
    browser = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1400, height: 1000 },
    });
    const page = browser.pages()[0] ?? (await browser.newPage());
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${c.gatewayUrl}/`);
    // No key yet: the page asks for one, as an operator would see it.
    await page.waitForSelector('#auth:not([hidden])');
    await page.fill('#key', TEST_ADMIN_KEY);
    await page.click('#auth button');

    const plots = await page.waitForFunction(
      () => {
        const all = (
          globalThis as unknown as {
            eparaPlots?: Record<
              string,
              { series: { label?: string }[]; data: (number | null)[][]; root: { querySelectorAll(selector: string): { length: number } } }
            >;
          }
        ).eparaPlots;
        if (!all || Object.keys(all).length < 7) return undefined;
        const out: Record<string, PlotData> = {};
        for (const [id, u] of Object.entries(all))
          out[id] = {
            labels: u.series.slice(1).map((s) => String(s.label)),
            data: u.data,
            canvases: u.root.querySelectorAll('canvas').length,
          };
        return out.goodput.data[0].length > 0 ? out : undefined;
      },
      undefined,
      { timeout: 20_000 },
    );
    const p = (await plots.jsonValue()) as Record<string, PlotData>;
    const column = (plot: PlotData, label: string) => plot.data[1 + plot.labels.indexOf(label)];

    expect(Object.keys(p).sort()).toEqual(['batch', 'goodput', 'latency', 'queue', 'slo', 'units', 'utilization']);
    for (const plot of Object.values(p)) expect(plot.canvases).toBeGreaterThan(0);
    expect(p.goodput.labels).toEqual(['add goodput', 'add offered', 'add served', 'mlp goodput', 'mlp offered', 'mlp served']);
    expect(p.goodput.data[0][0]).toBeLessThanOrEqual(goodAt / 1000);
    expect(Math.max(...(column(p.goodput, 'add goodput') as number[]))).toBeGreaterThan(0);
    expect(Math.max(...(column(p.goodput, 'mlp offered') as number[]))).toBeGreaterThan(0);
    expect(Math.max(...(column(p.goodput, 'mlp served') as number[]))).toBeGreaterThan(0);
    expect(column(p.slo, 'add')).toContain(100);
    expect(Math.max(...(column(p.latency, 'mlp p99').filter((v) => v !== null) as number[]))).toBeGreaterThan(0);
    expect(p.utilization.labels).toEqual(['cpu-0', 'cpu-1']);
    expect(column(p.batch, 'mlp').some((v) => v !== null && v >= 1)).toBe(true);
    const units = [...column(p.units, 'cpu-0'), ...column(p.units, 'cpu-1')].filter((v) => v !== null) as number[];
    expect(Math.max(...units)).toBeGreaterThan(0);

    const summary = await page.locator('#summary').innerText();
    expect(summary).toMatch(
      /add dp, SLO 2000 ms: (goodput \d+\.\d req\/s of \d+\.\d offered \(\d+(\.\d)?% within the 2000 ms SLO\)|idle: no requests)/,
    );
    const text = (id: string) => page.locator(`#${id}`).innerText();
    expect(await text('devices')).toContain('cpu-0');
    expect(await text('functions')).toMatch(/add\s+tensor\s+2000\s*ms[\s\S]*mlp\s+tensor\s+2000\s*ms/);
    expect(await text('placement')).toContain('add');
    expect(await text('changes')).toMatch(/cpu-[01]\s+(add|mlp)/);
    expect(pageErrors).toEqual([]);

    // A few more requests while it is open: the page appends them to what it has.
    const before = p.goodput.data[0].length;
    await invoke(10);
    await page.waitForFunction(
      (n) => (globalThis as unknown as { eparaPlots: Record<string, { data: unknown[][] }> }).eparaPlots.goodput.data[0].length > n,
      before,
      { timeout: 20_000 },
    );
    const shot = join(shotsDir, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    console.log(`dashboard screenshot: ${shot}`);
  });
});
