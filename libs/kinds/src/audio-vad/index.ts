export { AUDIO_TYPES_HELP, decodeAudioFrame, decodeWav, encodeAudio, parseMediaType, VAD_SAMPLE_RATE } from './audio-codec';
export { audioVadKind } from './audio-vad-kind';
export { sileroSignatureProblem, sileroWindowRequest, sileroWindowResults } from './silero-model';
export { checkSpeechHysteresis, DEFAULT_SPEECH_HYSTERESIS, stepSpeech } from './speech-hysteresis';
export type { SpeechEvent, SpeechHysteresisParams, SpeechState } from './speech-hysteresis';
export * from './types';
export { VadStreamEngine } from './vad-stream-engine';
