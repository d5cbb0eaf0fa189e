import { EparaError } from '@epara/contracts';

/** The only sample rate the VAD kind takes (Silero VAD v5 at 16 kHz: 512-sample windows of 32 ms). */
export const VAD_SAMPLE_RATE = 16_000;

/**
 * The audio bodies an `audio-vad` function takes, all 16 kHz mono:
 * - `audio/L16` — 16-bit signed PCM, **big-endian** (network order) as RFC 2586 / RFC 3551 define L16;
 *   `;endianness=little-endian` reads little-endian samples instead (GStreamer's spelling);
 * - `audio/pcm` — 16-bit signed little-endian PCM (`;format=s16le`, the default), or 32-bit float
 *   little-endian (`;format=f32le`); what most microphone stacks produce natively;
 * - `audio/x-float32` — 32-bit float little-endian samples in [-1, 1] (the same as `audio/pcm;format=f32le`);
 * - `audio/wav` (`audio/x-wav`, `audio/wave`, `audio/vnd.wave`) — a RIFF WAVE file, 16-bit PCM or 32-bit
 *   float, its header read for rate and channels.
 * `rate` and `channels` parameters, where given, must say 16000 and 1.
 */
export const AUDIO_TYPES_HELP =
  'audio/L16 (16-bit big-endian PCM, RFC 2586; ;endianness=little-endian for little-endian), audio/pcm (16-bit little-endian; ;format=f32le for 32-bit float), audio/x-float32 (32-bit float little-endian) or audio/wav, all 16000 Hz mono';

const WAV_TYPES = new Set(['audio/wav', 'audio/x-wav', 'audio/wave', 'audio/vnd.wave']);

/** A content type's base type and parameters, lower-cased (`audio/L16; rate=16000` → `audio/l16`, `{rate: '16000'}`). */
export function parseMediaType(contentType: string | undefined): { type: string; params: Record<string, string> } {
  const [base = '', ...rest] = (contentType ?? '').split(';');
  const params: Record<string, string> = {};
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    params[p.slice(0, eq).trim().toLowerCase()] = p
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
  }
  return { type: base.trim().toLowerCase(), params };
}

const bad = (message: string, details?: Record<string, unknown>) =>
  EparaError.badInput(message, { expected: AUDIO_TYPES_HELP, ...details });

function checkFormatParams(type: string, params: Record<string, string>): void {
  if (params.rate !== undefined && Number(params.rate) !== VAD_SAMPLE_RATE)
    throw bad(
      `${type}: rate=${params.rate}, expected rate=${VAD_SAMPLE_RATE} (resample to 16 kHz first, e.g. sox in.wav -r 16000 -c 1 out.wav)`,
    );
  if (params.channels !== undefined && Number(params.channels) !== 1)
    throw bad(`${type}: channels=${params.channels}, expected channels=1 (mono)`);
}

function int16Samples(bytes: Uint8Array, littleEndian: boolean, what: string): Float32Array {
  if (bytes.byteLength % 2 !== 0) throw bad(`${what}: ${bytes.byteLength} bytes is not a whole number of 16-bit samples`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.byteLength / 2);
  for (let i = 0; i < out.length; i++) out[i] = view.getInt16(2 * i, littleEndian) / 32768;
  return out;
}

function float32Samples(bytes: Uint8Array, what: string): Float32Array {
  if (bytes.byteLength % 4 !== 0) throw bad(`${what}: ${bytes.byteLength} bytes is not a whole number of 32-bit float samples`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.byteLength / 4);
  for (let i = 0; i < out.length; i++) {
    const v = view.getFloat32(4 * i, true);
    if (!Number.isFinite(v)) throw bad(`${what}: sample ${i} is ${v}; samples must be finite floats in [-1, 1]`);
    out[i] = v;
  }
  return out;
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/**
 * A RIFF WAVE file's samples: 16-bit PCM or 32-bit float, 16 kHz, mono; anything else is a 400 that
 * says what the file is and what is expected. Chunks other than `fmt ` and `data` are skipped.
 */
export function decodeWav(bytes: Uint8Array): Float32Array {
  const ascii = (at: number) => String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
  if (bytes.byteLength < 12 || ascii(0) !== 'RIFF' || ascii(8) !== 'WAVE') throw bad('audio/wav: the body is not a RIFF WAVE file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let fmt: { format: number; channels: number; rate: number; bits: number } | undefined;
  for (let at = 12; at + 8 <= bytes.byteLength;) {
    const id = ascii(at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > bytes.byteLength) throw bad('audio/wav: its fmt chunk is cut short');
      let format = view.getUint16(body, true);
      // WAVE_FORMAT_EXTENSIBLE: the real format is the first two bytes of the sub-format GUID.
      if (format === WAVE_FORMAT_EXTENSIBLE && size >= 40 && body + 26 <= bytes.byteLength) format = view.getUint16(body + 24, true);
      fmt = {
        format,
        channels: view.getUint16(body + 2, true),
        rate: view.getUint32(body + 4, true),
        bits: view.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      if (!fmt) throw bad('audio/wav: the data chunk comes before any fmt chunk');
      const { format, channels, rate, bits } = fmt;
      if (rate !== VAD_SAMPLE_RATE || channels !== 1)
        throw bad(
          `audio/wav: ${rate} Hz, ${channels} channel(s); expected ${VAD_SAMPLE_RATE} Hz mono (e.g. sox in.wav -r 16000 -c 1 out.wav)`,
          {
            rate,
            channels,
          },
        );
      // A streamed WAV (sox or arecord writing to a pipe) leaves the size at its maximum: read to the end.
      const end = Math.min(bytes.byteLength, body + size);
      const data = bytes.subarray(body, end - ((end - body) % (bits / 8 || 1)));
      if (format === WAVE_FORMAT_PCM && bits === 16) return int16Samples(data, true, 'audio/wav');
      if (format === WAVE_FORMAT_IEEE_FLOAT && bits === 32) return float32Samples(data, 'audio/wav');
      throw bad(`audio/wav: format ${format} with ${bits}-bit samples; expected 16-bit PCM (format 1) or 32-bit float (format 3)`, {
        format,
        bits,
      });
    }
    at = body + size + (size % 2); // chunks are padded to an even size
  }
  throw bad(fmt ? 'audio/wav: the file has no data chunk' : 'audio/wav: the file has no fmt chunk');
}

/**
 * One frame of a stream as samples in [-1, 1], by its content type (see `AUDIO_TYPES_HELP`); a 400
 * naming what is wrong and what is expected otherwise.
 */
export function decodeAudioFrame(bytes: Uint8Array, contentType: string | undefined): Float32Array {
  const { type, params } = parseMediaType(contentType);
  if (WAV_TYPES.has(type)) return decodeWav(bytes);
  if (type === 'audio/l16') {
    checkFormatParams('audio/L16', params);
    const endianness = params.endianness ?? 'big-endian';
    if (endianness !== 'big-endian' && endianness !== 'little-endian')
      throw bad(`audio/L16: endianness=${endianness}, expected big-endian (the default, RFC 2586) or little-endian`);
    return int16Samples(bytes, endianness === 'little-endian', 'audio/L16');
  }
  if (type === 'audio/pcm') {
    checkFormatParams('audio/pcm', params);
    const format = params.format ?? 's16le';
    if (format === 's16le') return int16Samples(bytes, true, 'audio/pcm');
    if (format === 'f32le') return float32Samples(bytes, 'audio/pcm;format=f32le');
    throw bad(`audio/pcm: format=${format}, expected s16le (the default) or f32le`);
  }
  if (type === 'audio/x-float32') {
    checkFormatParams('audio/x-float32', params);
    return float32Samples(bytes, 'audio/x-float32');
  }
  throw bad(
    `an audio-vad function takes audio frames as ${AUDIO_TYPES_HELP}; got Content-Type ${contentType ? JSON.stringify(contentType) : '(none)'}`,
  );
}

/** Encoders for tests, benchmarks and clients: the inverse of `decodeAudioFrame` for each format. */
export const encodeAudio = {
  /** 16-bit PCM: big-endian (`audio/L16`) unless `littleEndian` (`audio/pcm`). */
  int16(samples: Float32Array, littleEndian: boolean): Uint8Array {
    const out = new Uint8Array(samples.length * 2);
    const view = new DataView(out.buffer);
    for (let i = 0; i < samples.length; i++)
      view.setInt16(2 * i, Math.max(-32768, Math.min(32767, Math.round(samples[i] * 32768))), littleEndian);
    return out;
  },
  /** 32-bit float little-endian (`audio/x-float32`). */
  float32(samples: Float32Array): Uint8Array {
    const out = new Uint8Array(samples.length * 4);
    const view = new DataView(out.buffer);
    for (let i = 0; i < samples.length; i++) view.setFloat32(4 * i, samples[i], true);
    return out;
  },
  /** A 16-bit PCM WAVE file at `rate` Hz with `channels` channels (interleaved samples). */
  wav(samples: Float32Array, rate = VAD_SAMPLE_RATE, channels = 1): Uint8Array {
    const pcm = encodeAudio.int16(samples, true);
    const out = new Uint8Array(44 + pcm.byteLength);
    const view = new DataView(out.buffer);
    const put = (at: number, s: string) => [...s].forEach((c, i) => (out[at + i] = c.charCodeAt(0)));
    put(0, 'RIFF');
    view.setUint32(4, 36 + pcm.byteLength, true);
    put(8, 'WAVE');
    put(12, 'fmt ');
    view.setUint32(16, 16, true);
    view.setUint16(20, WAVE_FORMAT_PCM, true);
    view.setUint16(22, channels, true);
    view.setUint32(24, rate, true);
    view.setUint32(28, rate * channels * 2, true);
    view.setUint16(32, channels * 2, true);
    view.setUint16(34, 16, true);
    put(36, 'data');
    view.setUint32(40, pcm.byteLength, true);
    out.set(pcm, 44);
    return out;
  },
};
