import {
  VAD_CONTEXT_SAMPLES,
  VAD_STATE_SIZE,
  VAD_WINDOW_SAMPLES,
  VadFrameOutcome,
  VadRunner,
  VadWindowResult,
  VadWindowRun,
} from './types';
import { VadStreamEngine } from './vad-stream-engine';

/**
 * A stand-in for Silero: a window's probability is its first new sample, and the state counts the
 * windows the stream has run (state[0] + 1), so a state that is not gathered and scattered per stream shows.
 */
class CountingRunner implements VadRunner {
  readonly batches: VadWindowRun[][] = [];
  fail?: Error;
  async run(windows: readonly VadWindowRun[]): Promise<VadWindowResult[]> {
    this.batches.push([...windows]);
    if (this.fail) throw this.fail;
    return windows.map((w) => {
      const state = new Float32Array(VAD_STATE_SIZE);
      state[0] = w.state[0] + 1;
      return { prob: w.input[VAD_CONTEXT_SAMPLES], state };
    });
  }
}

/** `windows` windows whose samples all equal each window's value in `probs`. */
const audio = (...probs: number[]) => {
  const out = new Float32Array(probs.length * VAD_WINDOW_SAMPLES);
  probs.forEach((p, w) => out.fill(p, w * VAD_WINDOW_SAMPLES, (w + 1) * VAD_WINDOW_SAMPLES));
  return out;
};

function submitter(sut: VadStreamEngine, nowMs: () => number = Date.now) {
  return (streamId: string, samples: Float32Array, deadlineMs = nowMs() + 60_000) =>
    new Promise<VadFrameOutcome>((onDone) => sut.submit({ streamId, samples, deadlineMs, onDone }));
}

const ok = (o: VadFrameOutcome) => {
  if (!o.ok) throw new Error(`${o.code}: ${o.message}`);
  return o;
};

describe(VadStreamEngine.name, () => {
  it('runs a stream window by window through its own state, answering its frames in order', async () => {
    const runner = new CountingRunner();
    const sut = new VadStreamEngine({ runner, label: 'vad on cpu-0' });
    const send = submitter(sut);
    const [a, b] = await Promise.all([send('mic-1', audio(0.1, 0.2)), send('mic-1', audio(0.3))]);
    expect(ok(a).result).toMatchObject({
      stream: 'mic-1',
      restarted: true,
      offsetMs: 0,
      windowMs: 32,
      probabilities: [0.1, 0.2].map(Math.fround),
    });
    expect(ok(a).result.reason).toMatch(
      /^vad on cpu-0 held no state for stream "mic-1" \(a new stream, one idle over 30 s, or one whose replica changed\)/,
    );
    expect(ok(b).result).toMatchObject({ restarted: false, offsetMs: 64, probabilities: [Math.fround(0.3)] });
    expect(ok(b).result.reason).toBeUndefined();
    // Three windows, one per step, each fed the state the previous one left.
    expect(runner.batches.map((batch) => batch.map((w) => w.state[0]))).toEqual([[0], [1], [2]]);
  });

  it('feeds each window the previous window’s last 64 samples in front (zeros first) and carries a partial window', async () => {
    const runner = new CountingRunner();
    const sut = new VadStreamEngine({ runner });
    const send = submitter(sut);
    const ramp = Float32Array.from({ length: VAD_WINDOW_SAMPLES + 100 }, (_, i) => i / 10_000);
    const first = ok(await send('s', ramp)).result;
    expect(first).toMatchObject({ probabilities: [0], carriedSamples: 100 });
    const second = ok(await send('s', ramp.subarray(0, VAD_WINDOW_SAMPLES - 100))).result;
    expect(second).toMatchObject({ offsetMs: 32, carriedSamples: 0 });
    const [w0, w1] = runner.batches.map((b) => b[0].input);
    expect(w0.length).toBe(VAD_CONTEXT_SAMPLES + VAD_WINDOW_SAMPLES);
    expect(Array.from(w0.subarray(0, VAD_CONTEXT_SAMPLES))).toEqual(new Array(VAD_CONTEXT_SAMPLES).fill(0));
    expect(Array.from(w1.subarray(0, VAD_CONTEXT_SAMPLES))).toEqual(
      Array.from(ramp.subarray(VAD_WINDOW_SAMPLES - VAD_CONTEXT_SAMPLES, VAD_WINDOW_SAMPLES)),
    );
    expect(Array.from(w1.subarray(VAD_CONTEXT_SAMPLES, VAD_CONTEXT_SAMPLES + 100))).toEqual(Array.from(ramp.subarray(VAD_WINDOW_SAMPLES)));
  });

  it('answers a frame shorter than a window at once, holding its samples', async () => {
    const sut = new VadStreamEngine({ runner: new CountingRunner() });
    const r = ok(await submitter(sut)('s', new Float32Array(100))).result;
    expect(r).toMatchObject({ probabilities: [], carriedSamples: 100, restarted: true });
  });

  it('batches one window of every waiting stream per step, and scatters each state back to its stream', async () => {
    const runner = new CountingRunner();
    const steps: number[] = [];
    const sut = new VadStreamEngine({ runner, onStep: (e) => steps.push(e.streams) });
    const send = submitter(sut);
    const outcomes = await Promise.all([send('a', audio(0.1, 0.1)), send('b', audio(0.2)), send('c', audio(0.3, 0.3, 0.3))]);
    expect(steps).toEqual([3, 2, 1]);
    expect(outcomes.map((o) => ok(o).served.batchSize)).toEqual([3, 3, 3]);
    expect(runner.batches[2].map((w) => w.state[0])).toEqual([2]); // c's third window after its own two
  });

  it('runs at most maxBatchStreams streams per step, the earliest deadline first', async () => {
    const runner = new CountingRunner();
    const sut = new VadStreamEngine({ runner, maxBatchStreams: 2, clock: { nowMs: () => 0 } });
    const send = submitter(sut, () => 0);
    await Promise.all([send('late', audio(0.1), 5000), send('soon', audio(0.2), 1000), send('sooner', audio(0.3), 500)]);
    expect(runner.batches.map((b) => b.map((w) => w.input[VAD_CONTEXT_SAMPLES]))).toEqual([
      [0.3, 0.2].map(Math.fround),
      [Math.fround(0.1)],
    ]);
  });

  it('sends speech start and end events with stream times', async () => {
    const sut = new VadStreamEngine({ runner: new CountingRunner() });
    const send = submitter(sut);
    const a = ok(await send('s', audio(0.1, 0.9, 0.9))).result;
    const b = ok(await send('s', audio(0.1, 0.1, 0.1, 0.1))).result;
    expect(a).toMatchObject({ events: [{ type: 'start', atMs: 32 }], speaking: true });
    expect(b).toMatchObject({ events: [{ type: 'end', atMs: 96 }], speaking: false });
  });

  it('forgets a stream idle for idleMs: its next frame restarts from fresh state', async () => {
    let now = 0;
    const runner = new CountingRunner();
    const sut = new VadStreamEngine({ runner, idleMs: 1000, clock: { nowMs: () => now } });
    const send = submitter(sut, () => now);
    await send('s', audio(0.1));
    now = 999;
    expect(sut.forgetIdle(now)).toBe(0);
    expect(ok(await send('s', audio(0.1))).result.restarted).toBe(false);
    now = 999 + 1000;
    expect(sut.forgetIdle(now)).toBe(1);
    expect(sut.streams).toBe(0);
    const again = ok(await send('s', audio(0.1))).result;
    expect(again).toMatchObject({ restarted: true, offsetMs: 0 });
    expect(runner.batches.at(-1)![0].state[0]).toBe(0);
  });

  it('answers 504 for a frame whose deadline passed before it ran, skipping its audio but not its time', async () => {
    const sut = new VadStreamEngine({ runner: new CountingRunner(), clock: { nowMs: () => 0 } });
    const send = submitter(sut, () => 0);
    const late = send('s', audio(0.1, 0.1), 0);
    const next = send('s', audio(0.2));
    expect(await late).toMatchObject({ ok: false, code: 504, message: expect.stringMatching(/its 2 window\(s\) were skipped/) });
    expect(ok(await next).result).toMatchObject({ offsetMs: 64, probabilities: [Math.fround(0.2)] });
  });

  it('answers 500 when the model run fails; the stream goes on from the state it had', async () => {
    const runner = new CountingRunner();
    const sut = new VadStreamEngine({ runner, label: 'vad on cpu-3' });
    const send = submitter(sut);
    runner.fail = new Error('boom\nstack');
    expect(await send('s', audio(0.1))).toEqual({ ok: false, code: 500, message: 'VAD model run failed on vad on cpu-3: boom' });
    runner.fail = undefined;
    expect(ok(await send('s', audio(0.1))).result.restarted).toBe(false);
    expect(runner.batches.at(-1)![0].state[0]).toBe(0);
  });

  it('refuses a frame with 429 when maxQueuedFrames wait, and 503 after stop', async () => {
    const sut = new VadStreamEngine({ runner: new CountingRunner(), maxQueuedFrames: 2 });
    const send = submitter(sut);
    const queued = [send('a', audio(0.1)), send('b', audio(0.1))];
    expect(await send('c', audio(0.1))).toMatchObject({ ok: false, code: 429 });
    await Promise.all(queued);
    await sut.stop();
    expect(await send('a', audio(0.1))).toMatchObject({ ok: false, code: 503 });
  });

  it('answers frames still waiting when stopped with 503', async () => {
    const sut = new VadStreamEngine({ runner: new CountingRunner() });
    const send = submitter(sut);
    const waiting = send('a', audio(0.1, 0.1, 0.1));
    await sut.stop();
    expect(await waiting).toMatchObject({ ok: false, code: 503 });
    expect(sut.streams).toBe(0);
  });

  it('keeps each of many streams in order (bookkeeping over many rounds)', async () => {
    const runner = new CountingRunner();
    const sut = new VadStreamEngine({ runner, maxBatchStreams: 16 });
    const send = submitter(sut);
    const streams = Array.from({ length: 50 }, (_, i) => `s${i}`);
    const all = await Promise.all(
      streams.map(async (s) => Promise.all([1, 2, 3, 4].map((n) => send(s, audio(...new Array(n).fill(0.1)))))),
    );
    for (const frames of all) expect(frames.map((f) => ok(f).result.offsetMs)).toEqual([0, 32, 96, 192]);
    // A leak in the queue count would make the engine refuse (429) or report load that is not there.
    expect(sut.queued).toBe(0);
    expect(sut.running).toBe(0);
  });
});
