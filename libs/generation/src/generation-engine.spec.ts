import * as ort from 'onnxruntime-node';
import { mulberry32 } from '@epara/runtime';
import { GenerationEngine } from './generation-engine';
import { buildTinyGpt } from './tiny-gpt';
import { GenerationEngineOptions, GenerationOutcome, GenerationRequest, GenerationStepEvent } from './types';

interface Collected {
  ids: number[];
  pieces: string[];
  outcome: Promise<GenerationOutcome>;
}

type Req = Partial<GenerationRequest> & { id: string; prompt: string };

/** Submits a request and records its stream; `onEachToken` runs after each token is recorded. */
function submit(sut: GenerationEngine, r: Req, onEachToken?: (ids: number[]) => void): Collected {
  const ids: number[] = [];
  const pieces: string[] = [];
  const outcome = new Promise<GenerationOutcome>((resolve) => {
    sut.submit({
      maxTokens: 8,
      deadlineTtftMs: 60_000,
      tpotSloMs: 1_000,
      ...r,
      onToken: (text, id) => {
        ids.push(id);
        pieces.push(text);
        onEachToken?.(ids);
      },
      onDone: resolve,
    });
  });
  return { ids, pieces, outcome };
}

const PROMPTS = { a: 'Hello world, my name is', b: 'The quick brown fox', c: 'Once' };

describe(GenerationEngine.name, () => {
  let session: ort.InferenceSession;
  /** Greedy tokens of each prompt run alone, 12 tokens. */
  const alone = new Map<string, number[]>();
  const aloneText = new Map<string, string>();

  const engine = (o: Partial<GenerationEngineOptions> = {}) =>
    new GenerationEngine({ session, maxSequenceTokens: 256, maxBatchTokens: 128, maxRunning: 8, ...o });

  beforeAll(async () => {
    session = await ort.InferenceSession.create(buildTinyGpt(), { intraOpNumThreads: 1, executionProviders: ['cpu'], logSeverityLevel: 3 });
    for (const [key, prompt] of Object.entries(PROMPTS)) {
      const sut = engine();
      const c = submit(sut, { id: key, prompt, maxTokens: 12 });
      const outcome = await c.outcome;
      expect(outcome.reason).toBe('length');
      alone.set(key, c.ids);
      aloneText.set(key, outcome.text);
    }
  });
  afterAll(() => session?.release());

  it('streams maxTokens tokens, then ends with length and timing', async () => {
    const sut = engine();
    const c = submit(sut, { id: 'a', prompt: PROMPTS.a, maxTokens: 5 });
    const outcome = await c.outcome;
    expect(outcome).toMatchObject({ reason: 'length', tokens: 5 });
    expect(c.ids).toEqual(alone.get('a')!.slice(0, 5));
    expect(c.pieces.join('')).toBe(outcome.text);
    expect(outcome.ttftMs).toBeGreaterThan(0);
    expect(outcome.tpotMs).toBeGreaterThan(0);
    expect(sut.running + sut.waiting).toBe(0);
  });

  it('random weights give varied gibberish, decoded as text', () => {
    const text = aloneText.get('a')!;
    expect(new Set(alone.get('a')).size).toBeGreaterThan(6);
    expect(text.length).toBeGreaterThan(12);
  });

  it('a request joins while another is mid-decode; both get the tokens they get alone', async () => {
    const steps: GenerationStepEvent[] = [];
    const sut = engine({ onStep: (e) => steps.push(e) });
    let b: Collected | undefined;
    const a = submit(sut, { id: 'a', prompt: PROMPTS.a, maxTokens: 12 }, (ids) => {
      if (ids.length === 3) b = submit(sut, { id: 'b', prompt: PROMPTS.b, maxTokens: 12 });
    });
    const [oa, ob] = [await a.outcome, await b!.outcome];
    expect([oa.reason, ob.reason]).toEqual(['length', 'length']);
    expect(a.ids).toEqual(alone.get('a'));
    expect(b!.ids).toEqual(alone.get('b'));
    // the step where b joined also decoded a: a joined batch, not a new one
    const joinStep = steps.find((s) => s.joined.includes('b'))!;
    expect(joinStep.decoded).toEqual(['a']);
    expect(steps.filter((s) => s.decoded.includes('a') && s.decoded.includes('b')).length).toBeGreaterThan(0);
    // a left before b: leaving is between steps too
    const aLeft = steps.findIndex((s) => s.left.some((l) => l.id === 'a'));
    expect(steps[aLeft].decoded).toEqual(['b']);
  });

  it('several prompts of different lengths prefilled in one padded run match their solo runs', async () => {
    const steps: GenerationStepEvent[] = [];
    const sut = engine({ onStep: (e) => steps.push(e) });
    const runs = Object.entries(PROMPTS).map(([id, prompt]) => [id, submit(sut, { id, prompt, maxTokens: 12 })] as const);
    for (const [id, c] of runs) {
      await c.outcome;
      expect(c.ids).toEqual(alone.get(id));
    }
    expect(steps[0].joined).toEqual(['a', 'b', 'c']);
  });

  it('request-level batching: a late request waits for the whole batch, with the same tokens', async () => {
    const steps: GenerationStepEvent[] = [];
    const sut = engine({ batching: 'request', onStep: (e) => steps.push(e) });
    let b: Collected | undefined;
    const a = submit(sut, { id: 'a', prompt: PROMPTS.a, maxTokens: 12 }, (ids) => {
      if (ids.length === 3) b = submit(sut, { id: 'b', prompt: PROMPTS.b, maxTokens: 12 });
    });
    await a.outcome;
    await b!.outcome;
    expect(a.ids).toEqual(alone.get('a'));
    expect(b!.ids).toEqual(alone.get('b'));
    const joinStep = steps.find((s) => s.joined.includes('b'))!;
    expect(joinStep.decoded).toEqual([]);
    expect(joinStep.left).toEqual([{ id: 'a', reason: 'length' }]);
    expect(steps.some((s) => s.held.includes('b'))).toBe(true);
  });

  it("request-level with finishedRows 'pad': an ended sequence is computed as padding until its batch ends, others keep their tokens", async () => {
    const steps: GenerationStepEvent[] = [];
    const sut = engine({ batching: 'request', finishedRows: 'pad', onStep: (e) => steps.push(e) });
    const order: string[] = [];
    let c: Collected | undefined;
    const a = submit(sut, { id: 'a', prompt: PROMPTS.a, maxTokens: 4 });
    const b = submit(sut, { id: 'b', prompt: PROMPTS.b, maxTokens: 12 }, (ids) => {
      if (ids.length === 6) c = submit(sut, { id: 'c', prompt: PROMPTS.c, maxTokens: 12 });
    });
    void a.outcome.then(() => order.push('a'));
    void b.outcome.then(() => order.push('b'));
    await b.outcome;
    await c!.outcome;
    expect(a.ids).toEqual(alone.get('a')!.slice(0, 4));
    expect(b.ids).toEqual(alone.get('b'));
    expect(c!.ids).toEqual(alone.get('c'));
    expect(order).toEqual(['a', 'b']); // a's onDone does not wait for its batch
    // b decodes tokens 2..12 (11 runs); a is its padding in all those after its own 3 decodes
    const padded = steps.filter((s) => s.padding.includes('a'));
    expect(padded).toHaveLength(8);
    expect(padded.every((s) => s.decoded.length === 1 && s.decoded[0] === 'b')).toBe(true);
    // c waits for the whole batch (b) and never runs beside the padding
    const cJoins = steps.findIndex((s) => s.joined.includes('c'));
    expect(steps.slice(0, cJoins).some((s) => s.held.includes('c'))).toBe(true);
    expect(steps.slice(cJoins).every((s) => s.padding.length === 0)).toBe(true);
  });

  it('cancel stops the stream at once and ends with cancelled', async () => {
    const sut = engine();
    const c = submit(sut, { id: 'a', prompt: PROMPTS.a, maxTokens: 50 }, (ids) => {
      if (ids.length === 3) expect(sut.cancel('a')).toBe(true);
    });
    const outcome = await c.outcome;
    expect(outcome).toMatchObject({ reason: 'cancelled', tokens: 3 });
    expect(c.ids).toHaveLength(3);
    expect(sut.cancel('a')).toBe(false);
  });

  it('cancel of a waiting request ends it unstarted', async () => {
    const sut = engine();
    const c = submit(sut, { id: 'a', prompt: PROMPTS.a });
    sut.cancel('a');
    expect(await c.outcome).toMatchObject({ reason: 'cancelled', tokens: 0, ttftMs: null, tpotMs: null });
  });

  it('a stop sequence ends generation before it, and it is never streamed', async () => {
    const full = aloneText.get('a')!;
    // a stop string spanning the middle of the greedy text (two tokens' worth of characters)
    const from = Math.floor(full.length / 2);
    const stop = full.slice(from, from + 4);
    const sut = engine();
    const c = submit(sut, { id: 'a', prompt: PROMPTS.a, maxTokens: 12, stop: ['never-appears', stop] });
    const outcome = await c.outcome;
    expect(outcome.reason).toBe('stop');
    expect(outcome.text).toBe(full.slice(0, full.indexOf(stop)));
    expect(c.pieces.join('')).toBe(outcome.text);
    expect(outcome.tokens).toBeLessThan(12);
    expect(c.ids).toEqual(alone.get('a')!.slice(0, outcome.tokens));
  });

  it('a request whose TTFT deadline has passed is never started: deadline, 504', async () => {
    const sut = engine();
    const c = submit(sut, { id: 'late', prompt: PROMPTS.a, deadlineTtftMs: 0 });
    expect(await c.outcome).toMatchObject({ reason: 'deadline', code: 504, tokens: 0 });
    expect(c.ids).toEqual([]);
  });

  it('a running request past its total deadline leaves with deadline', async () => {
    let now = 0;
    const sut = engine({ clock: { nowMs: () => now } });
    const c = submit(sut, { id: 'a', prompt: PROMPTS.a, maxTokens: 50, deadlineTotalMs: 100 }, (ids) => {
      if (ids.length === 4) now = 100;
    });
    expect(await c.outcome).toMatchObject({ reason: 'deadline', tokens: 4 });
  });

  it('too long for the model: error 400 with the reason', async () => {
    const sut = engine();
    const c = submit(sut, { id: 'a', prompt: PROMPTS.a, maxTokens: 251 });
    expect(await c.outcome).toMatchObject({ reason: 'error', code: 400, message: "prompt 6 + max tokens 251 > the model's 256 positions" });
  });

  it('end-of-text ends with stop', async () => {
    // Pretend the greedy 3rd token is end-of-text.
    const sut = engine({ eosTokenId: alone.get('a')![2] });
    const c = submit(sut, { id: 'a', prompt: PROMPTS.a, maxTokens: 12 });
    expect(await c.outcome).toMatchObject({ reason: 'stop', tokens: 3 });
    expect(c.pieces[2]).toBe('');
  });

  it('temperature sampling is reproducible with a seeded random and differs from greedy', async () => {
    const run = async () => {
      const sut = engine({ random: mulberry32(42) });
      const c = submit(sut, { id: 'a', prompt: PROMPTS.a, maxTokens: 12, temperature: 0.8 });
      await c.outcome;
      return c.ids;
    };
    const [first, second] = [await run(), await run()];
    expect(first).toEqual(second);
    expect(first).not.toEqual(alone.get('a'));
  });

  it('stop() ends everything with cancelled, then refuses new requests with 503', async () => {
    const sut = engine();
    const a = submit(sut, { id: 'a', prompt: PROMPTS.a, maxTokens: 200 });
    const b = submit(sut, { id: 'b', prompt: PROMPTS.b, maxTokens: 200 });
    await sut.stop();
    expect((await a.outcome).reason).toBe('cancelled');
    expect((await b.outcome).reason).toBe('cancelled');
    const late = submit(sut, { id: 'c', prompt: PROMPTS.c });
    expect(await late.outcome).toMatchObject({ reason: 'error', code: 503 });
  });

  it('a throwing onToken ends only its own request, with error', async () => {
    const sut = engine();
    const ok = submit(sut, { id: 'ok', prompt: PROMPTS.b, maxTokens: 6 });
    const bad = submit(sut, { id: 'bad', prompt: PROMPTS.a, maxTokens: 6 }, () => {
      throw new Error('client gone');
    });
    expect(await bad.outcome).toMatchObject({ reason: 'error', message: 'onToken threw: client gone', tokens: 1 });
    expect(await ok.outcome).toMatchObject({ reason: 'length', tokens: 6 });
  });

  it('validates options and requests with the offending value', () => {
    expect(() => engine({ maxRunning: 0 })).toThrow('GenerationEngine: maxRunning=0, expected an integer ≥ 1');
    const sut = engine();
    expect(() => sut.submit({ id: 'x', prompt: 'hi', maxTokens: 0 } as GenerationRequest)).toThrow(
      'request x maxTokens=0, expected an integer ≥ 1',
    );
  });
});
