import { EparaError } from '@epara/contracts';
import { decodeAudioFrame, decodeWav, encodeAudio, parseMediaType } from './audio-codec';

/** The 400's message of decoding `bytes` as `contentType`. */
function refusal(bytes: Uint8Array, contentType: string | undefined): string {
  try {
    decodeAudioFrame(bytes, contentType);
  } catch (e) {
    expect(e).toBeInstanceOf(EparaError);
    expect((e as EparaError).code).toBe(400);
    return (e as EparaError).message;
  }
  throw new Error(`${contentType} was accepted`);
}

const samples = Float32Array.from([0, 0.5, -0.5, 0.25, -1, 0.999]);
const close = (a: Float32Array, b: Float32Array) => {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThan(1 / 32768 + 1e-7));
};

describe(parseMediaType.name, () => {
  it('lower-cases the type and reads parameters', () => {
    expect(parseMediaType('audio/L16; rate=16000; Channels="1"')).toEqual({ type: 'audio/l16', params: { rate: '16000', channels: '1' } });
    expect(parseMediaType(undefined)).toEqual({ type: '', params: {} });
  });
});

describe(decodeAudioFrame.name, () => {
  it('reads audio/L16 as big-endian (RFC 2586), and little-endian when it says so', () => {
    const be = new Uint8Array([0x40, 0x00, 0xc0, 0x00]); // 16384, -16384 big-endian
    expect(Array.from(decodeAudioFrame(be, 'audio/L16;rate=16000;channels=1'))).toEqual([0.5, -0.5]);
    expect(Array.from(decodeAudioFrame(new Uint8Array([0x00, 0x40]), 'audio/L16; endianness=little-endian'))).toEqual([0.5]);
    close(decodeAudioFrame(encodeAudio.int16(samples, false), 'audio/L16'), samples);
  });

  it('reads audio/pcm as 16-bit little-endian, or 32-bit float with format=f32le', () => {
    close(decodeAudioFrame(encodeAudio.int16(samples, true), 'audio/pcm'), samples);
    close(decodeAudioFrame(encodeAudio.int16(samples, true), 'audio/pcm;format=s16le;rate=16000'), samples);
    expect(decodeAudioFrame(encodeAudio.float32(samples), 'audio/pcm;format=f32le')).toEqual(samples);
  });

  it('reads audio/x-float32 as 32-bit float little-endian', () => {
    expect(decodeAudioFrame(encodeAudio.float32(samples), 'audio/x-float32')).toEqual(samples);
  });

  it('reads a WAV file by its header (every WAV media type)', () => {
    for (const t of ['audio/wav', 'audio/x-wav', 'audio/wave', 'audio/vnd.wave'])
      close(decodeAudioFrame(encodeAudio.wav(samples), t), samples);
  });

  it.each<[string, Uint8Array, string | undefined, RegExp]>([
    ['another rate', encodeAudio.int16(samples, false), 'audio/L16;rate=8000', /^audio\/L16: rate=8000, expected rate=16000/],
    ['stereo', encodeAudio.int16(samples, true), 'audio/pcm;channels=2', /^audio\/pcm: channels=2, expected channels=1 \(mono\)/],
    ['half a sample', new Uint8Array(3), 'audio/L16', /^audio\/L16: 3 bytes is not a whole number of 16-bit samples/],
    ['a float cut short', new Uint8Array(6), 'audio/x-float32', /^audio\/x-float32: 6 bytes is not a whole number of 32-bit float samples/],
    ['a NaN sample', encodeAudio.float32(Float32Array.from([0, NaN])), 'audio/x-float32', /sample 1 is NaN/],
    ['an unknown pcm format', new Uint8Array(2), 'audio/pcm;format=u8', /^audio\/pcm: format=u8, expected s16le \(the default\) or f32le/],
    [
      'no content type',
      new Uint8Array(2),
      undefined,
      /^an audio-vad function takes audio frames as audio\/L16 .* got Content-Type \(none\)/,
    ],
    ['JSON', new Uint8Array(2), 'application/json', /got Content-Type "application\/json"/],
  ])('refuses %s with a 400 that says what is expected', (_name, bytes, type, message) => expect(refusal(bytes, type)).toMatch(message));
});

describe(decodeWav.name, () => {
  it.each<[string, Uint8Array, RegExp]>([
    ['44.1 kHz', encodeAudio.wav(samples, 44_100), /^audio\/wav: 44100 Hz, 1 channel\(s\); expected 16000 Hz mono/],
    ['stereo', encodeAudio.wav(samples, 16_000, 2), /^audio\/wav: 16000 Hz, 2 channel\(s\); expected 16000 Hz mono/],
    ['not RIFF', new Uint8Array(64), /^audio\/wav: the body is not a RIFF WAVE file/],
    ['no data chunk', encodeAudio.wav(samples).subarray(0, 36), /^audio\/wav: the file has no data chunk/],
  ])('refuses %s', (_name, bytes, message) => {
    try {
      decodeWav(bytes);
      throw new Error('accepted');
    } catch (e) {
      expect((e as EparaError).code).toBe(400);
      expect((e as EparaError).message).toMatch(message);
    }
  });

  it('refuses 8-bit PCM, naming its format', () => {
    const wav = encodeAudio.wav(samples);
    new DataView(wav.buffer).setUint16(34, 8, true);
    expect(() => decodeWav(wav)).toThrow(
      /^audio\/wav: format 1 with 8-bit samples; expected 16-bit PCM \(format 1\) or 32-bit float \(format 3\)/,
    );
  });

  it('skips other chunks and reads a streamed WAV whose data size is unknown (0xffffffff)', () => {
    const plain = encodeAudio.wav(samples);
    const list = new Uint8Array([...'LIST'].map((c) => c.charCodeAt(0)).concat([3, 0, 0, 0, 1, 2, 3, 0]));
    const wav = new Uint8Array(plain.length + list.length);
    wav.set(plain.subarray(0, 36));
    wav.set(list, 36);
    wav.set(plain.subarray(36), 36 + list.length);
    new DataView(wav.buffer).setUint32(36 + list.length + 4, 0xffffffff, true);
    close(decodeWav(wav), samples);
  });

  it('reads 32-bit float WAV (format 3)', () => {
    const pcm = encodeAudio.float32(samples);
    const wav = encodeAudio.wav(new Float32Array(0));
    const out = new Uint8Array(44 + pcm.length);
    out.set(wav.subarray(0, 44));
    const v = new DataView(out.buffer);
    v.setUint16(20, 3, true);
    v.setUint16(34, 32, true);
    v.setUint32(40, pcm.length, true);
    out.set(pcm, 44);
    expect(decodeWav(out)).toEqual(samples);
  });
});
