import { buildTinyGpt } from '@epara/generation';
import { WorkerService } from '../apps/worker/src/serving/worker.service';
import { authHeader, startCluster, TestCluster, waitFor } from './support/cluster';
import { deployMultipart, http, postJson } from './support/http';

/** Parses `event: x\ndata: {...}` blocks of a server-sent event stream. */
function events(text: string): { event: string; data: any }[] {
  return text
    .split('\n\n')
    .filter((b) => b.trim())
    .map((b) => {
      const event = /^event: (.*)$/m.exec(b)?.[1] ?? 'message';
      const data = JSON.parse(/^data: (.*)$/m.exec(b)?.[1] ?? 'null');
      return { event, data };
    });
}

/** A tiny GPT-style decoder with a KV cache (random weights: the words are gibberish, the mechanics are real). */
describe('text generation: iteration-level batching, streaming over HTTP and NATS, cancellation', () => {
  let c: TestCluster;

  beforeAll(async () => {
    c = await startCluster({ workers: 1 });
    const r = await deployMultipart(
      c.gatewayUrl,
      { name: 'gpt', kind: 'text-generation', slo: { latencyMs: 5000, tpotMs: 1000 } },
      buildTinyGpt(),
    );
    expect(r.status).toBe(201);
    await waitFor(async () => (await http(`${c.gatewayUrl}/v2/models/gpt/ready`)).status === 200, 30_000, 'gpt ready');
  });
  afterAll(async () => {
    await c?.stop();
  });

  it('answers a whole generation in one reply over HTTP, the same as over NATS (greedy)', async () => {
    const r = await postJson(`${c.gatewayUrl}/v1/functions/gpt/invoke`, { prompt: 'Hello NATS', max_tokens: 8 });
    expect(r.status).toBe(200);
    const body = r.json();
    expect(body).toMatchObject({ tokens: 8, reason: 'length' });
    expect(typeof body.text).toBe('string');
    const viaNats = await c.client.request('epara.v1.invoke.gpt', Buffer.from(JSON.stringify({ prompt: 'Hello NATS', max_tokens: 8 })), {
      timeout: 20_000,
    });
    expect(JSON.parse(Buffer.from(viaNats.data).toString()).text).toBe(body.text);
  });

  it('streams tokens over HTTP as server-sent events, then an end event', async () => {
    const res = await fetch(`${c.gatewayUrl}/v1/functions/gpt/invoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...authHeader() },
      body: JSON.stringify({ prompt: 'Edge inference', max_tokens: 6 }),
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const ev = events(await res.text());
    expect(ev.filter((e) => e.event === 'token')).toHaveLength(6);
    expect(ev[ev.length - 1]).toMatchObject({ event: 'end', data: { done: true, tokens: 6, reason: 'length' } });
    expect(
      ev
        .filter((e) => e.event === 'token')
        .map((e) => e.data.token)
        .join(''),
    ).toBe(ev[ev.length - 1].data.text);
  });

  it('streams over NATS: a message per token to the reply inbox, then an end marker', async () => {
    const inbox = c.client.subscribe('_INBOX.gen-test');
    c.client.publish('epara.v1.invoke.gpt', Buffer.from(JSON.stringify({ prompt: 'Camera', max_tokens: 5, stream: true })), {
      reply: '_INBOX.gen-test',
    });
    const got: string[] = [];
    for await (const m of inbox) {
      got.push(m.headers?.get('Epara-Stream') ?? '');
      if (m.headers?.get('Epara-Stream') === 'end') break;
    }
    expect(got).toEqual(['token', 'token', 'token', 'token', 'token', 'end']);
  });

  it('serves concurrent requests in shared decode steps (requests join the running batch)', async () => {
    const replies = await Promise.all(
      Array.from({ length: 6 }, (_, i) => postJson(`${c.gatewayUrl}/v1/functions/gpt/invoke`, { prompt: `request ${i}`, max_tokens: 12 })),
    );
    expect(replies.map((r) => r.status)).toEqual(new Array(6).fill(200));
    expect(replies.every((r) => r.json().tokens === 12)).toBe(true);
  });

  it('stops generating when the HTTP client leaves', async () => {
    const worker = c.workers[0].get(WorkerService);
    const cancelled = async () =>
      (await worker.metrics.requests.get()).values.find((v) => v.labels.function === 'gpt' && v.labels.outcome === 'cancelled')?.value ?? 0;
    const before = await cancelled();
    const abort = new AbortController();
    const res = await fetch(`${c.gatewayUrl}/v1/functions/gpt/invoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...authHeader() },
      body: JSON.stringify({ prompt: 'a long story', max_tokens: 250 }),
      signal: abort.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    abort.abort();
    // Cancelled, not run to its 250 tokens: the worker counts it under outcome "cancelled".
    await waitFor(async () => (await cancelled()) === before + 1, 10_000, 'generation cancelled');
    expect(worker.functionLoads().find((f) => f.fn === 'gpt')?.running).toBe(0);
  });

  it('rejects a bad body with 400 and keeps serving', async () => {
    const bad = await postJson(`${c.gatewayUrl}/v1/functions/gpt/invoke`, { max_tokens: 3 });
    expect(bad.status).toBe(400);
    expect(bad.json().error.message).toMatch(/"prompt"/);
    expect((await postJson(`${c.gatewayUrl}/v1/functions/gpt/invoke`, { prompt: 'ok', max_tokens: 2 })).json().tokens).toBe(2);
  });
});
