import { EparaError, FunctionKind, kindCapabilities } from '@epara/contracts';
import type { KindHandler } from '@epara/runtime';
import { sileroSample } from './silero-model';

const NOT_BATCHER = 'audio-vad frames are served by the VAD stream engine, not the request batcher';

/**
 * Audio VAD does not go through the request batcher: the worker hands each frame to a VadStreamEngine
 * (one window of every waiting stream per step). Its handler answers what every kind answers, and gives
 * the profiler a real window to time.
 */
export const audioVadKind: KindHandler = {
  ...kindCapabilities(FunctionKind.AudioVad),
  prepare: async () => {
    throw new EparaError(500, NOT_BATCHER);
  },
  finish: () => {
    throw new EparaError(500, NOT_BATCHER);
  },
  sample: (model) => sileroSample(model),
};
