/**
 * Multi-device modes against their single-device baselines, side by side in one run:
 *  - pp: PP-OCRv4 det as a tensor function, whole on one worker vs cut into 2 stages on 2 workers
 *    (workers too small for the whole model) — throughput under saturating closed-loop load;
 *  - sp: PP-OCRv4 text detection on a large page, whole on one device vs split over 2 devices —
 *    latency of one request at a time.
 * Run: npm run bench:modes [-- --quick] [--out=file.md]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { encodeTensorsMsgpack } from '@epara/contracts';
import { bundledModelPath } from '@epara/runtime/model-cache';
import { buildTinyGpt } from '@epara/runtime/generation/tiny-gpt';
import { GenerationEngine } from '@epara/runtime/generation/generation-engine';
import { machineLine, maybeWriteReport, parseArgs } from './lib/args';
import { withCluster } from './lib/cluster';
import { closedLoop, httpInvoker, keepAliveAgent, sequential } from './lib/load';
import { summarize } from './lib/stats';
import { markdownTable } from './lib/table';

const args = parseArgs();
const durationMs = args.quick ? 4_000 : 12_000;
const requests = args.quick ? 8 : 30;
const fixture = join(__dirname, '..', 'test', 'fixtures', 'text-page.png');

async function ppThroughput(pipelined: boolean): Promise<{ rps: number; p50: number; p99: number; placement: string }> {
  // 6 MB devices cannot hold PP-OCR det (4.7 MB, counted twice) → multi → pp in 2 stages.
  const memory = pipelined ? '6' : '512';
  return withCluster({ workers: pipelined ? 2 : 1, env: { EPARA_DEVICE_MEMORY_MB: memory, EPARA_PLACEMENT_PERIOD_MS: '2000' } }, async (c) => {
    const d = await c.deploy({ name: 'det', kind: 'tensor', slo: { latencyMs: 5000 }, model: { bundled: 'ppocr-det' } });
    const x = new Float32Array(3 * 320 * 320).map((_, i) => Math.sin(i) * 0.5);
    const body = encodeTensorsMsgpack([{ name: 'x', datatype: 'FP32', shape: [1, 3, 320, 320], data: x }]);
    const invoke = httpInvoker(`${c.gatewayUrl}/v1/functions/det/invoke`, body, { 'content-type': 'application/msgpack', accept: 'application/msgpack' }, keepAliveAgent(16), 30_000);
    const s = summarize(await closedLoop(invoke, { concurrency: 8, durationMs, warmupMs: 2_000 }));
    const placement = (await c.assignments('det')).map((a) => `${a.device}${(a as { stage?: number }).stage !== undefined ? `#${(a as { stage?: number }).stage}` : ''}`).join(', ');
    return { rps: s.throughput, p50: s.p50, p99: s.p99, placement: `${d.record.category.mode}: ${placement}` };
  });
}

async function spLatency(split: boolean, page: Buffer): Promise<{ p50: number; p99: number; boxes: number }> {
  return withCluster({ workers: 2 }, async (c) => {
    await c.deploy({ name: 'ocr', kind: 'text-detection', slo: { latencyMs: 10_000 }, model: { bundled: 'ppocr-det' }, hints: split ? { mode: 'sp' } : { mode: 'dp', replicas: 1 } });
    if (split) await c.waitMode('ocr', 'sp');
    const agent = keepAliveAgent(4);
    const invoke = httpInvoker(`${c.gatewayUrl}/v1/functions/ocr/invoke`, page, { 'content-type': 'image/png' }, agent, 30_000);
    const s = summarize(await sequential(invoke, { requests, warmup: 2 }));
    const res = await fetch(`${c.gatewayUrl}/v1/functions/ocr/invoke`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: page });
    return { p50: s.p50, p99: s.p99, boxes: ((await res.json()) as { count: number }).count };
  });
}

/**
 * Continuous (iteration-level) vs request-level batching for generation, in-process on one core: 24
 * requests arriving as a Poisson stream (mean gap 15 ms), 16–48 output tokens each, TTFT SLO 250 ms,
 * TPOT SLO 30 ms (workloads.md §3.3: DistServe chatbot TTFT, 5× a decode step).
 */
async function generation(batching: 'continuous' | 'request'): Promise<{ tokensPerS: number; ttftP50: number; ttftP99: number; tpotP50: number; attainment: number }> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(buildTinyGpt(), { intraOpNumThreads: 1 });
  const engine = new GenerationEngine({ session, maxSequenceTokens: 256, batching });
  const n = args.quick ? 12 : 24;
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const outcomes: { ttft: number; tpot: number; tokens: number }[] = [];
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    let done = 0;
    let at = 0;
    for (let i = 0; i < n; i++) {
      at += -Math.log(1 - rand()) * 15;
      setTimeout(() => {
        engine.submit({
          id: `r${i}`,
          prompt: `request number ${i} asks about edge inference`,
          maxTokens: 16 + Math.floor(rand() * 33),
          deadlineTtftMs: 10_000,
          tpotSloMs: 10_000,
          onToken: () => undefined,
          onDone: (o) => {
            outcomes.push({ ttft: o.ttftMs ?? Infinity, tpot: o.tpotMs ?? 0, tokens: o.tokens });
            if (++done === n) resolve();
          },
        });
      }, at);
    }
  });
  const wallS = (performance.now() - t0) / 1000;
  await engine.stop();
  await session.release();
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const ttft = sorted(outcomes.map((o) => o.ttft));
  const tpot = sorted(outcomes.map((o) => o.tpot));
  const pick = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];
  const good = outcomes.filter((o) => o.ttft <= 250 && o.tpot <= 30).length;
  return { tokensPerS: outcomes.reduce((a, o) => a + o.tokens, 0) / wallS, ttftP50: pick(ttft, 50), ttftP99: pick(ttft, 99), tpotP50: pick(tpot, 50), attainment: good / outcomes.length };
}

async function main(): Promise<void> {
  bundledModelPath('ppocr-det');
  console.log(`[bench:modes] ${machineLine()}\n`);
  const whole = await ppThroughput(false);
  const pp = await ppThroughput(true);
  const ppTable = markdownTable(
    ['setup', 'placement', 'throughput (req/s)', 'p50 (ms)', 'p99 (ms)'],
    [
      ['whole model, 1 worker', whole.placement, whole.rps.toFixed(1), whole.p50.toFixed(1), whole.p99.toFixed(1)],
      ['pp, 2 stages on 2 workers', pp.placement, pp.rps.toFixed(1), pp.p50.toFixed(1), pp.p99.toFixed(1)],
      ['pp ÷ whole', '', `${(pp.rps / whole.rps).toFixed(2)}×`, '', ''],
    ],
  );
  console.log(`pp: PP-OCRv4 det 320×320 as a tensor function, closed loop, 8 in flight, ${durationMs / 1000} s\n${ppTable}\n`);
  const page = await sharp(readFileSync(fixture)).resize(1920, 1280, { fit: 'fill' }).png().toBuffer();
  const one = await spLatency(false, page);
  const sp = await spLatency(true, page);
  const spTable = markdownTable(
    ['setup', 'p50 (ms)', 'p99 (ms)', 'boxes'],
    [
      ['whole image on 1 device', one.p50.toFixed(1), one.p99.toFixed(1), one.boxes],
      ['sp: 2 bands on 2 devices', sp.p50.toFixed(1), sp.p99.toFixed(1), sp.boxes],
      ['sp ÷ whole (p50)', `${(sp.p50 / one.p50).toFixed(2)}×`, '', ''],
    ],
  );
  console.log(`sp: PP-OCRv4 text detection on a 1920×1280 page, one request at a time, ${requests} requests\n${spTable}\n`);
  const cont = await generation('continuous');
  const req = await generation('request');
  const genTable = markdownTable(
    ['batching', 'tokens/s', 'TTFT p50 (ms)', 'TTFT p99 (ms)', 'TPOT p50 (ms)', 'SLO attainment (TTFT ≤ 250, TPOT ≤ 30)'],
    [cont, req].map((g, i) => [i === 0 ? 'continuous (iteration-level)' : 'request-level', g.tokensPerS.toFixed(0), g.ttftP50.toFixed(1), g.ttftP99.toFixed(1), g.tpotP50.toFixed(2), `${(g.attainment * 100).toFixed(0)}%`]),
  );
  console.log(`generation: tiny GPT (KV cache), Poisson arrivals, 16–48 tokens each, one core\n${genTable}\n`);
  maybeWriteReport(args, `### pp\n\n${ppTable}\n\n### sp\n\n${spTable}\n\n### generation\n\n${genTable}\n`);
}

main().catch((e) => {
  console.error(`[bench:modes] failed: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
