import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { Header, MediaType } from '@epara/contracts';
import { encodeAudio, VadFrameResult } from '@epara/kinds';
import { framesOf, noiseWav, silenceWav, speechWav } from './support/audio';
import { startCluster, TestCluster, waitFor } from './support/cluster';
import { http } from './support/http';

const run = promisify(execFile);

/** 4096 samples: 256 ms of audio, 8 Silero windows. */
const FRAME = 4096;
const SPEECH_PAD_BEFORE_S = 1;

interface Reply {
  status: number;
  device: string | null;
  batchSize: number;
  body: VadFrameResult & { error?: { code: number; message: string } };
}

/**
 * The `audio-vad` kind end to end, on real Silero VAD v5 with audio made by espeak-ng and sox: devices
 * send audio frames tagged with a stream id over HTTP, NATS and MQTT; two workers hold the streams'
 * states, and the gateway sends each stream to the one that holds it.
 */
describe('audio-vad: speech detection on streams of audio frames (real Silero VAD, espeak-ng speech)', () => {
  let c: TestCluster;
  let speech: Buffer;
  let silence: Buffer;
  let noise: Buffer;

  const invokeHttp = async (stream: string | undefined, body: Uint8Array, contentType: string): Promise<Reply> => {
    const r = await http(`${c.gatewayUrl}/v1/functions/vad/invoke`, {
      method: 'POST',
      headers: { 'content-type': contentType, ...(stream === undefined ? {} : { [Header.StreamId]: stream }) },
      body: Buffer.from(body),
    });
    return { status: r.status, device: r.headers.get(Header.Device), batchSize: Number(r.headers.get(Header.BatchSize)), body: r.json() };
  };

  const invokeNats = async (stream: string, body: Uint8Array, contentType: string): Promise<Reply> => {
    const h = natsHeaders();
    h.set(Header.ContentType, contentType);
    h.set(Header.StreamId, stream);
    const m = await c.client.request('epara.v1.invoke.vad', body, { headers: h, timeout: 30_000 });
    const code = m.headers?.get(Header.ServiceErrorCode);
    return {
      status: code ? Number(code) : 200,
      device: m.headers?.get(Header.Device) ?? null,
      batchSize: Number(m.headers?.get(Header.BatchSize)),
      body: JSON.parse(Buffer.from(m.data).toString('utf8')),
    };
  };

  /** Sends every frame in turn (the next after the previous reply) and returns the replies. */
  const sendAll = async (frames: Uint8Array[], send: (frame: Uint8Array) => Promise<Reply>) => {
    const replies: Reply[] = [];
    for (const f of frames) replies.push(await send(f));
    return replies;
  };

  const placedOn = async (fn: string): Promise<string[]> => {
    const { placement } = (await http(`${c.gatewayUrl}/v1/placement`)).json() as {
      placement: { device: string; assignments: { fn: string }[] }[];
    };
    return placement.filter((d) => d.assignments.some((a) => a.fn === fn)).map((d) => d.device);
  };

  beforeAll(async () => {
    [speech, silence, noise] = await Promise.all([
      speechWav('Hello, this is a test of voice activity detection on the edge.', SPEECH_PAD_BEFORE_S, 1.5),
      silenceWav(3),
      noiseWav(3, 0.05),
    ]);
    c = await startCluster({ workers: 2, security: { mqtt: true } });
    const r = await http(`${c.gatewayUrl}/v1/functions`, {
      method: 'POST',
      headers: { 'content-type': MediaType.Json },
      body: JSON.stringify({
        name: 'vad',
        kind: 'audio-vad',
        slo: { latencyMs: 5000 },
        hints: { replicas: 2 },
        model: { bundled: 'silero-vad' },
      }),
    });
    expect(r.status).toBe(201);
    await waitFor(async () => (await placedOn('vad')).length === 2, 30_000, 'vad placed on both workers');
    await waitFor(async () => (await http(`${c.gatewayUrl}/v2/models/vad/ready`)).status === 200, 30_000, 'vad ready');
    // Both replicas ready in every view the gateway routes by (a stream's replica must not change mid-test).
    await waitFor(
      async () => {
        const devices = (await http(`${c.gatewayUrl}/v1/devices`)).json().devices as {
          live: boolean;
          functions?: { fn: string; ready: boolean }[];
        }[];
        return devices.filter((d) => d.live && d.functions?.some((f) => f.fn === 'vad' && f.ready)).length === 2;
      },
      30_000,
      'both vad replicas ready',
    );
  });
  afterAll(async () => {
    await c?.stop();
  });

  it('finds speech in a spoken sentence sent as audio/L16 (big-endian) frames over HTTP: a start, an end, high probabilities between', async () => {
    const frames = framesOf(speech, FRAME).map((f) => encodeAudio.int16(f, false));
    const replies = await sendAll(frames, (f) => invokeHttp('http-speech', f, 'audio/L16;rate=16000;channels=1'));
    expect(replies.map((r) => r.status)).toEqual(frames.map(() => 200));
    expect(replies[0].body).toMatchObject({ stream: 'http-speech', restarted: true, offsetMs: 0, windowMs: 32 });
    expect(replies.slice(1).every((r) => !r.body.restarted)).toBe(true);
    // One replica held the stream throughout (sticky routing), and the frames came back in order.
    expect(new Set(replies.map((r) => r.device)).size).toBe(1);
    expect(replies.map((r) => r.body.offsetMs)).toEqual(replies.map((_, i) => i * 256));

    const events = replies.flatMap((r) => r.body.events);
    const probs = replies.flatMap((r) => r.body.probabilities);
    expect(events[0]).toMatchObject({ type: 'start' });
    expect(events.at(-1)).toMatchObject({ type: 'end' });
    const start = events[0].atMs;
    const end = events.at(-1)!.atMs;
    // Speech begins after the leading second of silence and ends before the trailing one.
    expect(start).toBeGreaterThanOrEqual(SPEECH_PAD_BEFORE_S * 1000 - 64);
    expect(end).toBeLessThan(probs.length * 32 - 1000);
    const inside = probs.slice(Math.ceil(start / 32), Math.floor(end / 32));
    expect(inside.reduce((a, b) => a + b, 0) / inside.length).toBeGreaterThan(0.8);
    expect(Math.max(...probs.slice(0, Math.floor(start / 32)))).toBeLessThan(0.5);
    expect(replies.at(-1)!.body.speaking).toBe(false);
  });

  it('finds no speech in silence (WAV frames) nor in pink noise (float32 frames) over NATS', async () => {
    const quiet = await sendAll(
      framesOf(silence, FRAME).map((f) => encodeAudio.wav(f)),
      (f) => invokeNats('nats-silence', f, 'audio/wav'),
    );
    const hiss = await sendAll(
      framesOf(noise, FRAME).map((f) => encodeAudio.float32(f)),
      (f) => invokeNats('nats-noise', f, 'audio/x-float32'),
    );
    for (const replies of [quiet, hiss]) {
      expect(replies.every((r) => r.status === 200)).toBe(true);
      expect(replies.flatMap((r) => r.body.events)).toEqual([]);
      expect(Math.max(...replies.flatMap((r) => r.body.probabilities))).toBeLessThan(0.5);
      expect(replies.flatMap((r) => r.body.probabilities)).toHaveLength(Math.floor((3 * 16_000) / 512));
    }
  });

  it('answers frames of one stream published back to back over NATS in order', async () => {
    const frames = framesOf(speech, FRAME).slice(0, 8);
    const h = natsHeaders();
    h.set(Header.ContentType, 'audio/pcm');
    h.set(Header.StreamId, 'nats-pipelined');
    const replies = await Promise.all(
      frames.map((f) => c.client.request('epara.v1.invoke.vad', encodeAudio.int16(f, true), { headers: h, timeout: 30_000 })),
    );
    const bodies = replies.map((m) => JSON.parse(Buffer.from(m.data).toString('utf8')) as VadFrameResult);
    expect(bodies.map((b) => b.offsetMs)).toEqual(frames.map((_, i) => i * 256));
    expect(bodies.map((b) => b.restarted)).toEqual(frames.map((_, i) => i === 0));
  });

  it('refuses a frame without a stream id, with a malformed one, at another rate or as JSON, saying what is expected', async () => {
    const pcm = encodeAudio.int16(new Float32Array(FRAME), false);
    const missing = await invokeHttp(undefined, pcm, 'audio/L16');
    expect(missing.status).toBe(400);
    expect(missing.body.error?.message).toBe(
      'function "vad" keeps state per stream: send the header Epara-Stream-Id (e.g. the microphone\'s id) with every frame',
    );
    const malformed = await invokeHttp('mic 7', pcm, 'audio/L16');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error?.message).toMatch(/^Epara-Stream-Id must be 1–128 characters/);
    const slow = await invokeHttp('mic-8k', encodeAudio.wav(new Float32Array(800), 8000), 'audio/wav');
    expect(slow.status).toBe(400);
    expect(slow.body.error?.message).toMatch(/^audio\/wav: 8000 Hz, 1 channel\(s\); expected 16000 Hz mono/);
    const json = await invokeHttp('mic-json', Buffer.from('{"inputs":[]}'), 'application/json');
    expect(json.status).toBe(400);
    expect(json.body.error?.message).toMatch(/^an audio-vad function takes audio frames as audio\/L16/);
    const missingNats = await c.client.request('epara.v1.invoke.vad', pcm, { timeout: 10_000 });
    expect(missingNats.headers?.get(Header.ServiceErrorCode)).toBe('400');
  });

  it('keeps two hundred concurrent streams apart: each answered in order, batched together, with the probabilities it gets alone', async () => {
    const frames = framesOf(speech, FRAME)
      .slice(3, 9)
      .map((f) => encodeAudio.int16(f, true));
    const alone = await sendAll(frames, (f) => invokeNats('reference', f, 'audio/pcm'));
    const streams = Array.from({ length: 200 }, (_, i) => `crowd-${i}`);
    const all = await Promise.all(streams.map((s) => sendAll(frames, (f) => invokeNats(s, f, 'audio/pcm'))));
    for (const replies of all) {
      expect(replies.map((r) => r.status)).toEqual(frames.map(() => 200));
      expect(replies.map((r) => r.body.offsetMs)).toEqual(frames.map((_, i) => i * 256));
      expect(replies.map((r) => r.body.restarted)).toEqual(frames.map((_, i) => i === 0));
      replies.forEach((r, i) =>
        r.body.probabilities.forEach((p, w) => expect(Math.abs(p - alone[i].body.probabilities[w])).toBeLessThan(1e-4)),
      );
    }
    // Both replicas took streams, and windows of many streams shared runs.
    expect(new Set(all.map((replies) => replies[0].device)).size).toBe(2);
    expect(Math.max(...all.flat().map((r) => r.batchSize))).toBeGreaterThan(1);
  });

  it('answers an MQTT device on its reply topic, its client id being the stream id (a whole WAV file as one frame)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'epara-mqtt-'));
    try {
      const file = join(dir, 'speech.wav');
      writeFileSync(file, speech);
      const port = String(c.nats.mqttPort);
      const sub = run('mosquitto_sub', [
        ...['-h', '127.0.0.1', '-p', port, '-i', 'mic-mqtt-sub', '-q', '1'],
        ...['-t', 'epara/v1/reply/mic-mqtt/vad', '-C', '2', '-W', '60'],
      ]);
      await new Promise((r) => setTimeout(r, 400)); // subscribed before the frames go
      for (let i = 0; i < 2; i++)
        await run('mosquitto_pub', [
          '-h',
          '127.0.0.1',
          '-p',
          port,
          '-i',
          'mic-mqtt-pub',
          '-q',
          '1',
          '-t',
          'epara/v1/mqtt/vad/mic-mqtt',
          '-f',
          file,
        ]);
      const [first, second] = (await sub).stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as VadFrameResult);
      expect(first).toMatchObject({ stream: 'mic-mqtt', restarted: true, offsetMs: 0 });
      expect(first.events.map((e) => e.type)).toContain('start');
      expect(first.events.at(-1)?.type).toBe('end');
      // The second file continues the same stream: its state and its clock.
      expect(second).toMatchObject({ stream: 'mic-mqtt', restarted: false });
      expect(second.offsetMs).toBe(first.probabilities.length * 32);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // Last: it stops a worker.
  it('restarts a stream on the other replica when the one holding it stops, and says so', async () => {
    const frame = encodeAudio.int16(framesOf(speech, FRAME)[5], false);
    const first = await invokeHttp('mover', frame, 'audio/L16');
    const again = await invokeHttp('mover', frame, 'audio/L16');
    expect(first.body.restarted).toBe(true);
    expect(again).toMatchObject({ status: 200, device: first.device, body: { restarted: false, offsetMs: 256 } });
    const holder = first.device!;
    await c.workers[Number(holder.split('-')[1])].close();
    await waitFor(
      async () => {
        const devices = (await http(`${c.gatewayUrl}/v1/devices`)).json().devices as { device: string; live: boolean }[];
        return !devices.some((d) => d.device === holder && d.live);
      },
      15_000,
      `${holder} seen gone`,
    );
    const moved = await invokeHttp('mover', frame, 'audio/L16');
    expect(moved.status).toBe(200);
    expect(moved.device).not.toBe(holder);
    expect(moved.body).toMatchObject({ restarted: true, offsetMs: 0 });
    expect(moved.body.reason).toMatch(/held no state for stream "mover" .*one whose replica changed/);
  });
});
