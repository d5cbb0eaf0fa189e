import { MQTT_RAW_AUDIO, mqttAudioTypes, mqttRequestTypes } from './mqtt';

const wavHeader = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WAVEfmt ')]);

describe(mqttRequestTypes.name, () => {
  it.each<[string, Buffer, string]>([
    ['JSON', Buffer.from(' {"inputs":[]}'), 'application/json'],
    ['PNG', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0]), 'image/png'],
    ['WebP', Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBP')]), 'image/webp'],
    ['WAV', wavHeader, 'audio/wav'],
    ['anything else', Buffer.from([0x82, 0xa1]), 'application/msgpack'],
  ])('%s → %s', (_name, body, contentType) => expect(mqttRequestTypes(body).contentType).toBe(contentType));
});

describe(mqttAudioTypes.name, () => {
  it('takes a WAV file by its header, anything else as raw 16-bit little-endian PCM at 16 kHz mono; answers JSON', () => {
    expect(mqttAudioTypes(wavHeader)).toEqual({ contentType: 'audio/wav', accept: 'application/json' });
    expect(mqttAudioTypes(Buffer.from('{"not":"audio"}'))).toEqual({ contentType: MQTT_RAW_AUDIO, accept: 'application/json' });
    expect(MQTT_RAW_AUDIO).toBe('audio/pcm;format=s16le;rate=16000;channels=1');
  });
});
