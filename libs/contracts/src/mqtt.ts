import { MediaType } from './headers';

/**
 * MQTT 3.1.1 messages carry no headers, so a device's request says what it is by its bytes: JSON when
 * it starts with `{` or `[`, an image by its magic number (PNG, JPEG, WebP), a WAV file by its RIFF
 * header, msgpack otherwise. The answer comes back as JSON, except that a msgpack request gets msgpack.
 */
export function mqttRequestTypes(body: Uint8Array): { contentType: string; accept: string } {
  const b = body;
  let i = 0;
  while (i < b.length && (b[i] === 0x20 || b[i] === 0x0a || b[i] === 0x0d || b[i] === 0x09)) i++;
  const json = { contentType: MediaType.Json, accept: MediaType.Json };
  if (b[i] === 0x7b || b[i] === 0x5b) return json;
  if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return { ...json, contentType: 'image/png' };
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return { ...json, contentType: 'image/jpeg' };
  const ascii = (from: number, to: number) => String.fromCharCode(...b.subarray(from, to));
  if (b.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return { ...json, contentType: 'image/webp' };
  if (isWav(b)) return { ...json, contentType: MQTT_WAV };
  return { contentType: MediaType.Msgpack, accept: MediaType.Msgpack };
}

const MQTT_WAV = 'audio/wav';
/** What a headerless audio frame is taken for: 16-bit little-endian PCM at 16 kHz mono (what microphone stacks produce). */
export const MQTT_RAW_AUDIO = 'audio/pcm;format=s16le;rate=16000;channels=1';

function isWav(b: Uint8Array): boolean {
  return b.length >= 12 && String.fromCharCode(...b.subarray(0, 4)) === 'RIFF' && String.fromCharCode(...b.subarray(8, 12)) === 'WAVE';
}

/**
 * A frame for a function that takes audio (`audio-vad`): a WAV file by its RIFF header, anything else
 * raw 16-bit little-endian PCM at 16 kHz mono (`MQTT_RAW_AUDIO`). The answer is JSON.
 */
export function mqttAudioTypes(body: Uint8Array): { contentType: string; accept: string } {
  return { contentType: isWav(body) ? MQTT_WAV : MQTT_RAW_AUDIO, accept: MediaType.Json };
}

/** The MQTT topics of the ingress, as devices write them (the server maps `/` to `.` of the NATS subjects). */
export const mqttTopics = {
  request: (fn: string, client: string) => `epara/v1/mqtt/${fn}/${client}`,
  reply: (client: string, fn: string) => `epara/v1/reply/${client}/${fn}`,
};
