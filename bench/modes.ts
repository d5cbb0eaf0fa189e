/**
 * Multi-device modes against their single-device baselines, side by side in one run:
 *  - pp: PP-OCRv4 det as a tensor function, whole on one worker vs cut into 2 stages on 2 workers
 *    (workers too small for the whole model) — throughput under saturating closed-loop load;
 *  - sp: PP-OCRv4 text detection on a large page, whole on one device vs split over 2 devices —
 *    latency of one request at a time;
 *  - generation: continuous vs request-level batching of a tiny GPT, open-loop rate sweep (see `generation`).
 * Run: npm run bench:modes [-- --quick] [--only=pp,sp,generation] [--out=file.md]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { encodeTensorsMsgpack } from '@epara/contracts';
import { bundledModelPath } from '@epara/runtime/model-cache';
import { buildTinyGpt } from '@epara/generation/tiny-gpt';
import { GenerationEngine } from '@epara/generation/generation-engine';
import type { DecoderSession } from '@epara/generation/types';
import { mulberry32 } from '@epara/runtime/synthetic/prng';
import { machineLine, maybeWriteReport, parseArgs } from './lib/args';
import { GATEWAY_AUTH, gatewayFetch, withCluster } from './lib/cluster';
import { closedLoop, httpInvoker, keepAliveAgent, sequential } from './lib/load';
import { percentile, summarize, verdict } from './lib/stats';
import { markdownTable } from './lib/table';

const args = parseArgs();
/** `--only=pp,sp,generation`: the sections to run (default: all). */
const only = new Set(args.str('only', 'pp,sp,generation').split(','));
const durationMs = args.quick ? 4_000 : 12_000;
const requests = args.quick ? 8 : 30;
const fixture = join(__dirname, '..', 'test', 'fixtures', 'text-page.png');

async function ppThroughput(pipelined: boolean): Promise<{ rps: number; p50: number; p99: number; placement: string }> {
  // 6 MB devices cannot hold PP-OCR det (4.7 MB, counted twice) → multi → pp in 2 stages.
  const memory = pipelined ? '6' : '512';
  return withCluster(
    { workers: pipelined ? 2 : 1, env: { EPARA_DEVICE_MEMORY_MB: memory, EPARA_PLACEMENT_PERIOD_MS: '2000' } },
    async (c) => {
      const d = await c.deploy({ name: 'det', kind: 'tensor', slo: { latencyMs: 5000 }, model: { bundled: 'ppocr-det' } });
      const x = new Float32Array(3 * 320 * 320).map((_, i) => Math.sin(i) * 0.5);
      const body = encodeTensorsMsgpack([{ name: 'x', datatype: 'FP32', shape: [1, 3, 320, 320], data: x }]);
      const invoke = httpInvoker(
        `${c.gatewayUrl}/v1/functions/det/invoke`,
        body,
        { 'content-type': 'application/msgpack', accept: 'application/msgpack', ...GATEWAY_AUTH },
        keepAliveAgent(16),
        30_000,
      );
      const s = summarize(await closedLoop(invoke, { concurrency: 8, durationMs, warmupMs: 2_000 }));
      const placement = (await c.assignments('det'))
        .map((a) => `${a.device}${(a as { stage?: number }).stage !== undefined ? `#${(a as { stage?: number }).stage}` : ''}`)
        .join(', ');
      return { rps: s.throughput, p50: s.p50, p99: s.p99, placement: `${d.record.category.mode}: ${placement}` };
    },
  );
}

async function spLatency(split: boolean, page: Buffer): Promise<{ p50: number; p99: number; boxes: number }> {
  return withCluster({ workers: 2 }, async (c) => {
    await c.deploy({
      name: 'ocr',
      kind: 'text-detection',
      slo: { latencyMs: 10_000 },
      model: { bundled: 'ppocr-det' },
      hints: split ? { mode: 'sp' } : { mode: 'dp', replicas: 1 },
    });
    if (split) await c.waitMode('ocr', 'sp');
    const agent = keepAliveAgent(4);
    const invoke = httpInvoker(
      `${c.gatewayUrl}/v1/functions/ocr/invoke`,
      page,
      { 'content-type': 'image/png', ...GATEWAY_AUTH },
      agent,
      30_000,
    );
    const s = summarize(await sequential(invoke, { requests, warmup: 2 }));
    const res = await gatewayFetch(`${c.gatewayUrl}/v1/functions/ocr/invoke`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: page,
    });
    return { p50: s.p50, p99: s.p99, boxes: ((await res.json()) as { count: number }).count };
  });
}

/**
 * Generation: continuous (iteration-level, Orca) vs request-level batching, in-process on one core
 * (intraOpNumThreads 1), the tiny GPT the worker serves (d 64, 2 layers, r50k head). A saturating
 * open-loop comparison in the manner of Orca and vLLM: the same arrival file for every mode, Poisson
 * arrivals at a ladder of rates that ends above what either mode serves, the same max batch (16
 * sequences, 512 tokens a step), latency counted from the scheduled arrival.
 * Lengths (a chat mix, scaled to the model's 256 positions): prompt lognormal median
 * 24, σ 0.5, cap 64; output lognormal median 24, σ 0.9, cap 128 = max_tokens. σ 0.9 gives the
 * conversation trace's long tail: P90 ≈ 3.2× the median (Azure LLM 2023 median 129, 2024 P90 398).
 * End-of-text is off, so each request generates exactly its drawn length in every mode.
 * SLOs: TTFT 250 ms (DistServe chatbot), TPOT 30 ms. No request is shed (TTFT deadline off): every
 * mode serves the same tokens, and attainment is counted afterwards.
 * Request-level is run two ways: finished rows computed as padding until the batch ends (static
 * batching as FasterTransformer, Orca's baseline, and HF generate do it) and finished rows leaving
 * at once (a stronger baseline than the literature's).
 */
const GEN = {
  maxRunning: 16,
  ttftSloMs: 250,
  tpotSloMs: 30,
  attainment: 0.9,
  prompt: { median: 24, sigma: 0.5, cap: 64 },
  output: { median: 24, sigma: 0.9, cap: 128 },
};
const GEN_MODES = [
  { name: 'continuous (iteration-level)', batching: 'continuous', finishedRows: 'leave' },
  { name: 'request-level, static (finished rows padded)', batching: 'request', finishedRows: 'pad' },
  { name: 'request-level, finished rows leave', batching: 'request', finishedRows: 'leave' },
] as const;
/** Offered rates, req/s: from a light load (a few requests in flight) to above what continuous batching serves. */
const GEN_RATES = args.quick ? [5, 20, 80] : [5, 10, 20, 40, 80];
/** Seconds of arrivals per rate, at least GEN_MIN_REQUESTS requests: the run stays near a minute on one idle core. */
const GEN_SECONDS = 2;
const GEN_MIN_REQUESTS = args.quick ? 24 : 32;
/** Single-token words: a prompt of k words is k r50k tokens. */
const GEN_WORDS = [
  'the',
  ' of',
  ' and',
  ' edge',
  ' model',
  ' data',
  ' time',
  ' request',
  ' server',
  ' batch',
  ' token',
  ' system',
  ' network',
  ' device',
  ' latency',
  ' memory',
];

type GenRow = {
  mode: string;
  rate: number;
  offeredTokensPerS: number;
  tokensPerS: number;
  cpuMsPerToken: number;
  ttftP50: number;
  ttftP99: number;
  tpotP50: number;
  ttftOk: number;
  bothOk: number;
};

function genArrivals(rate: number, n: number, seed: number): { atMs: number; prompt: string; maxTokens: number }[] {
  const random = mulberry32(seed);
  const lognormal = (d: { median: number; sigma: number; cap: number }) => {
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    return Math.min(d.cap, Math.max(1, Math.round(d.median * Math.exp(d.sigma * z))));
  };
  let atMs = 0;
  return Array.from({ length: n }, () => {
    atMs += (-Math.log(1 - random()) * 1000) / rate;
    const words = lognormal(GEN.prompt);
    const prompt = Array.from({ length: words }, (_, k) => GEN_WORDS[k === 0 ? 0 : 1 + Math.floor(random() * (GEN_WORDS.length - 1))]).join(
      '',
    );
    return { atMs, prompt, maxTokens: lognormal(GEN.output) };
  });
}

async function generationRun(
  session: DecoderSession,
  mode: (typeof GEN_MODES)[number],
  rate: number,
  arrivals: ReturnType<typeof genArrivals>,
): Promise<GenRow> {
  const engine = new GenerationEngine({
    session,
    maxSequenceTokens: 256,
    maxRunning: GEN.maxRunning,
    batching: mode.batching,
    finishedRows: mode.finishedRows,
    eosTokenId: null,
  });
  const done: { ttft: number; tpot: number; tokens: number; endMs: number }[] = [];
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await new Promise<void>((resolve) => {
    arrivals.forEach((a, i) => {
      setTimeout(() => {
        const due = t0 + a.atMs;
        let first = 0;
        let last = 0;
        engine.submit({
          id: `r${i}`,
          prompt: a.prompt,
          maxTokens: a.maxTokens,
          deadlineTtftMs: Infinity,
          tpotSloMs: GEN.tpotSloMs,
          onToken: () => {
            last = performance.now();
            first ||= last;
          },
          onDone: (o) => {
            done.push({ ttft: first - due, tpot: o.tokens > 1 ? (last - first) / (o.tokens - 1) : 0, tokens: o.tokens, endMs: last });
            if (done.length === arrivals.length) resolve();
          },
        });
      }, a.atMs);
    });
  });
  const cpu = process.cpuUsage(cpu0);
  await engine.stop();
  const sorted = (xs: number[]) => Float64Array.from(xs).sort();
  const ttft = sorted(done.map((d) => d.ttft));
  const tokens = done.reduce((n, d) => n + d.tokens, 0);
  const spanS = (Math.max(...done.map((d) => d.endMs)) - t0 - arrivals[0].atMs) / 1000;
  const ttftOk = done.filter((d) => d.ttft <= GEN.ttftSloMs);
  return {
    mode: mode.name,
    rate,
    // The realized arrival rate (a short Poisson run strays from the nominal one) times the mean output.
    offeredTokensPerS:
      ((tokens / arrivals.length) * (arrivals.length - 1) * 1000) / (arrivals[arrivals.length - 1].atMs - arrivals[0].atMs),
    tokensPerS: tokens / spanS,
    // Process CPU per token (the model runs on this thread): the cost of each mode, steady on a shared machine.
    cpuMsPerToken: (cpu.user + cpu.system) / 1000 / tokens,
    ttftP50: percentile(ttft, 50),
    ttftP99: percentile(ttft, 99),
    tpotP50: percentile(sorted(done.map((d) => d.tpot)), 50),
    ttftOk: ttftOk.length / done.length,
    bothOk: ttftOk.filter((d) => d.tpot <= GEN.tpotSloMs).length / done.length,
  };
}

/** Every mode at every rate, the same arrivals per rate. */
async function generation(): Promise<GenRow[]> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(buildTinyGpt(), { intraOpNumThreads: 1 });
  // Warm-up (JIT, allocator): one burst, not measured.
  await generationRun(session, GEN_MODES[0], 1000, genArrivals(1000, 32, 99));
  const rows: GenRow[] = [];
  for (const rate of GEN_RATES) {
    const arrivals = genArrivals(rate, Math.max(GEN_MIN_REQUESTS, Math.round(rate * GEN_SECONDS)), 7);
    for (const mode of GEN_MODES) rows.push(await generationRun(session, mode, rate, arrivals));
  }
  await session.release();
  return rows;
}

/**
 * Continuous against one request-level variant: (1) under the TTFT SLO, each at its highest swept
 * rate with ≥ 90% TTFT attainment; below saturation tokens/s is what is offered, and every rate draws
 * the same request mix, so the ratio of those rates is the ratio of tokens/s (the measured tokens/s,
 * shown too, adds the noise of short runs). Where the baseline meets it at no swept rate, its rate is
 * below the lowest, which bounds the ratio from below (attainment falls as the rate grows).
 * (2) Saturated: at the highest rate, above what either mode serves: tokens/s and CPU per token (the
 * steadier figure where other processes share the cores).
 */
function generationVerdict(rows: GenRow[], baseline: string): string {
  // The last rate before the first miss: a lucky quiet moment on a shared machine does not count past a miss.
  const bestOf = (mode: string) => {
    const ladder = rows.filter((r) => r.mode === mode).sort((a, b) => a.rate - b.rate);
    const miss = ladder.findIndex((r) => r.ttftOk < GEN.attainment);
    return miss === 0 ? undefined : ladder[(miss < 0 ? ladder.length : miss) - 1];
  };
  const [cont, base] = [bestOf(GEN_MODES[0].name), bestOf(baseline)];
  const low = rows.filter((r) => r.mode === baseline).sort((a, b) => a.rate - b.rate)[0];
  let ratio: number | undefined;
  let slo: string;
  if (!cont) slo = `continuous met ${GEN.attainment * 100}% TTFT attainment at no swept rate`;
  else if (base) {
    ratio = cont.rate / base.rate;
    slo = `${ratio.toFixed(2)}× (${cont.rate} vs ${base.rate} req/s; measured ${cont.tokensPerS.toFixed(0)} vs ${base.tokensPerS.toFixed(0)} tokens/s)`;
  } else {
    ratio = cont.rate / low.rate;
    slo = `> ${ratio.toFixed(2)}× (${cont.rate} req/s, ${cont.tokensPerS.toFixed(0)} tokens/s; the baseline misses it even at ${low.rate} req/s, ${low.offeredTokensPerS.toFixed(0)} tokens/s offered)`;
  }
  const top = Math.max(...GEN_RATES);
  const atTop = (mode: string) => rows.find((r) => r.mode === mode && r.rate === top)!;
  const [c, b] = [atTop(GEN_MODES[0].name), atTop(baseline)];
  const saturated = `saturated (${top} req/s) ${(c.tokensPerS / b.tokensPerS).toFixed(2)}× the tokens/s, ${(b.cpuMsPerToken / c.cpuMsPerToken).toFixed(2)}× less CPU per token`;
  return `- vs ${baseline}: at ≥ ${GEN.attainment * 100}% TTFT attainment ${slo} — target ≥ 2×: ${verdict(ratio !== undefined ? ratio >= 2 : undefined)}; ${saturated}`;
}

async function main(): Promise<void> {
  console.log(`[bench:modes] ${machineLine()}\n`);
  if (only.has('pp') || only.has('sp')) bundledModelPath('ppocr-det');
  const report: string[] = [];
  if (only.has('pp')) {
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
    report.push(`### pp\n\n${ppTable}`);
  }
  if (only.has('sp')) {
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
    report.push(`### sp\n\n${spTable}`);
  }
  if (only.has('generation')) {
    const gen = await generation();
    const genTable = markdownTable(
      [
        'batching',
        'offered (req/s)',
        'tokens/s',
        'CPU ms/token',
        'TTFT p50 (ms)',
        'TTFT p99 (ms)',
        'TPOT p50 (ms)',
        `TTFT ≤ ${GEN.ttftSloMs} ms`,
        `TTFT and TPOT ≤ ${GEN.tpotSloMs} ms`,
      ],
      gen.map((g) => [
        g.mode,
        g.rate,
        g.tokensPerS.toFixed(0),
        g.cpuMsPerToken.toFixed(2),
        g.ttftP50.toFixed(1),
        g.ttftP99.toFixed(1),
        g.tpotP50.toFixed(2),
        `${(g.ttftOk * 100).toFixed(0)}%`,
        `${(g.bothOk * 100).toFixed(0)}%`,
      ]),
    );
    const genVerdicts = GEN_MODES.slice(1).map((m) => generationVerdict(gen, m.name));
    console.log(
      `generation: tiny GPT (d 64, 2 layers, KV cache), one core, max batch ${GEN.maxRunning}, Poisson arrivals (≥ ${GEN_MIN_REQUESTS} requests, ${GEN_SECONDS} s per rate, same file per rate), ` +
        `prompt lognormal median ${GEN.prompt.median} cap ${GEN.prompt.cap}, output lognormal median ${GEN.output.median} σ ${GEN.output.sigma} cap ${GEN.output.cap}\n${genTable}\n` +
        `continuous vs request-level tokens/s:\n${genVerdicts.join('\n')}\n`,
    );
    report.push(`### generation\n\n${genTable}\n\n${genVerdicts.join('\n')}`);
  }
  maybeWriteReport(args, `${report.join('\n\n')}\n`);
}

main().catch((e) => {
  console.error(`[bench:modes] failed: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
