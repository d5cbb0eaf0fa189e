import { existsSync, readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { bundledModelPath } from '../model-cache';
import { buildCnn } from '../synthetic';
import { createSession } from './session-factory';
import { OffloadingSession, ThreadedSession } from './threaded-session';

const DET = bundledModelPath('ppocr-det');

function detFeeds(size: number): Record<string, ort.Tensor> {
  const x = new Float32Array(3 * size * size).map((_, i) => Math.sin(i / 97) * 0.5);
  return { x: new ort.Tensor('float32', x, [1, 3, size, size]) };
}

/** How many turns the event loop makes while `work` is pending (a chain of setImmediate callbacks). */
async function loopTurnsDuring<T>(work: Promise<T>): Promise<{ value: T; turns: number }> {
  let turns = 0;
  let done = false;
  const spin = () => {
    if (done) return;
    turns++;
    setImmediate(spin);
  };
  setImmediate(spin);
  const value = await work;
  done = true;
  return { value, turns };
}

describe('a session on its own thread (the real PP-OCR detector)', () => {
  let bytes: Buffer;
  beforeAll(() => {
    if (!existsSync(DET)) throw new Error(`${DET} is missing: run npm run fetch-models`);
    bytes = readFileSync(DET);
  });

  it('moves a long-running model to its own thread: same outputs, and the event loop keeps turning while it runs', async () => {
    const local = await createSession(bytes, { provider: 'cpu', intraOpNumThreads: 1 });
    const moves: { moved: boolean }[] = [];
    const threaded = await createSession(bytes, {
      provider: 'cpu',
      intraOpNumThreads: 1,
      thread: true,
      label: 'ppocr-det',
      onMove: (m) => moves.push(m),
    });
    expect(threaded.local).toBeUndefined();
    expect(local.local).toBe(local.session);
    const offloading = threaded.session as OffloadingSession;
    try {
      const feeds = detFeeds(640);
      // Its first runs are in-process and measured; a 640² detector run is far above THREAD_MIN_RUN_MS.
      for (let i = 0; i < 4; i++) await offloading.run(feeds);
      for (let i = 0; i < 100 && !offloading.onThread; i++) await new Promise((r) => setTimeout(r, 20));
      expect(moves).toEqual([{ moved: true }]);
      expect(offloading.onThread).toBe(true);
      const a = await loopTurnsDuring(local.session.run(feeds));
      const b = await loopTurnsDuring(threaded.session.run(feeds));
      const [name] = Object.keys(a.value);
      expect(Object.keys(b.value)).toEqual(Object.keys(a.value));
      expect(b.value[name].dims).toEqual(a.value[name].dims);
      expect(b.value[name].type).toBe(a.value[name].type);
      const x = a.value[name].data as Float32Array;
      const y = b.value[name].data as Float32Array;
      expect(y.length).toBe(x.length);
      let maxDiff = 0;
      for (let i = 0; i < x.length; i++) maxDiff = Math.max(maxDiff, Math.abs(x[i] - y[i]));
      expect(maxDiff).toBe(0);
      // In-process the whole run happens inside one turn; on a thread the loop goes on (a 640² run is
      // hundreds of milliseconds: thousands of turns), which is what lets a worker receive requests meanwhile.
      expect(a.turns).toBeLessThanOrEqual(3);
      expect(b.turns).toBeGreaterThan(10 * Math.max(1, a.turns));
      // The caller's input is untouched (the thread got a copy).
      expect((feeds.x.data as Float32Array).length).toBe(3 * 640 * 640);
    } finally {
      await local.session.release();
      await threaded.session.release();
    }
  });

  it('keeps a tiny model in-process (a thread would cost more than its whole run)', async () => {
    const { session } = await createSession(buildCnn({ size: 16 }), { provider: 'cpu', intraOpNumThreads: 1, thread: true });
    const x = new ort.Tensor('float32', new Float32Array(3 * 16 * 16), [1, 3, 16, 16]);
    for (let i = 0; i < 10; i++) await session.run({ x });
    await new Promise((r) => setTimeout(r, 50));
    expect((session as OffloadingSession).onThread).toBe(false);
    await session.release();
  });

  it("rejects a bad feed with onnxruntime's message and goes on serving; after release it says so", async () => {
    const session = await ThreadedSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1 }, 'ppocr-det');
    await expect(session.run({ nope: new ort.Tensor('float32', new Float32Array(3), [1, 3]) })).rejects.toThrow(/nope|input/i);
    const ok = await session.run(detFeeds(64));
    expect(Object.values(ok)[0].dims).toEqual([1, 1, 64, 64]);
    await session.release();
    await expect(session.run(detFeeds(64))).rejects.toThrow(/ppocr-det.*released/);
  });

  it('reports a broken model as onnxruntime does, without leaving a thread behind', async () => {
    await expect(ThreadedSession.create(new Uint8Array([1, 2, 3, 4]), { executionProviders: ['cpu'] })).rejects.toThrow(
      /protobuf|parse|load|model/i,
    );
  });
});
