import * as ort from 'onnxruntime-node';
import { OffloadingSession, RunnableSession, ThreadedSession } from './threaded-session';

/** Execution providers Epara asks onnxruntime for. `cuda` needs the CUDA provider libraries installed. */
export const ExecutionProvider = { Cpu: 'cpu', Cuda: 'cuda', WebGpu: 'webgpu' } as const;
export type ExecutionProvider = (typeof ExecutionProvider)[keyof typeof ExecutionProvider];

export interface SessionOptions {
  provider: ExecutionProvider;
  /** onnxruntime intra-op threads. 1 is fastest for small models on a 2-core machine (measured). */
  intraOpNumThreads: number;
  /** CUDA/WebGPU device index when the provider is a GPU. */
  deviceId?: number;
  /**
   * Let the session move to a thread of its own once its runs prove long (OffloadingSession), so that a
   * run does not hold the event loop. Off for engines that drive the session step by step and keep its
   * output tensors (generation).
   */
  thread?: boolean;
  /** Names the model in the errors of its thread. */
  label?: string;
  /** Told when the model moved to its own thread, or why it could not. */
  onMove?: (outcome: { moved: boolean; reason?: string }) => void;
}

export interface CreatedSession {
  session: RunnableSession;
  /** The onnxruntime session itself when it runs on the calling thread (`thread` off). */
  local?: ort.InferenceSession;
  /** The provider that actually runs the session. */
  provider: ExecutionProvider;
  /** Why it differs from the one asked for, for the device state and the operator. */
  note?: string;
}

function providerConfig(o: SessionOptions): ort.InferenceSession.ExecutionProviderConfig {
  if (o.provider === 'cuda') return { name: 'cuda', deviceId: o.deviceId ?? 0 } as ort.InferenceSession.ExecutionProviderConfig;
  return o.provider;
}

/**
 * A model file this large is loaded on a thread of its own from the start (`thread` on). onnxruntime
 * builds a session synchronously on the calling thread — on this project's 2-core test machine
 * silero-vad (2.3 MB) held the event loop 23 ms, ppocr-det (4.7 MB) 90 ms, ppocr-rec (10.8 MB) 129 ms,
 * and even ppocr-cls (0.6 MB) 68 ms: at this size, a few hundred ms — and a worker whose event loop is
 * held that long answers no request, heartbeat or liveness probe meanwhile, and gateways call it gone
 * after LIVENESS_SILENCE_MS. A model this large usually runs long enough to move to a thread anyway.
 */
export const THREAD_AT_LOAD_BYTES = 16 * 1024 * 1024;

/**
 * Creates a session on the asked provider. onnxruntime throws (it does not fall back) when a provider's
 * libraries are missing, so a failed GPU provider is retried on CPU explicitly and the reason is returned.
 */
export async function createSession(model: Uint8Array, o: SessionOptions): Promise<CreatedSession> {
  const open = async (options: ort.InferenceSession.SessionOptions): Promise<Pick<CreatedSession, 'session' | 'local'>> => {
    if (o.thread && model.byteLength >= THREAD_AT_LOAD_BYTES) {
      const session = await ThreadedSession.create(model, options, o.label ?? 'a model');
      o.onMove?.({
        moved: true,
        reason: `its model (${(model.byteLength / 1048576).toFixed(0)} MB) loads and runs on a thread of its own, so that loading it does not hold requests and heartbeats`,
      });
      return { session };
    }
    const local = await ort.InferenceSession.create(model, options);
    if (o.thread) return { session: new OffloadingSession(local, model, options, o.label ?? 'a model', o.onMove) };
    return { session: local, local };
  };
  const common: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: o.intraOpNumThreads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    // Errors reach the caller as exceptions with the same text; onnxruntime's own stderr copy only adds noise.
    logSeverityLevel: 4,
  };
  if (o.provider !== 'cpu') {
    try {
      return { ...(await open({ ...common, executionProviders: [providerConfig(o)] })), provider: o.provider };
    } catch (e) {
      const reason = ((e as Error).message ?? String(e)).split('\n')[0].slice(0, 300);
      return {
        ...(await open({ ...common, executionProviders: ['cpu'] })),
        provider: 'cpu',
        note: `asked for ${o.provider}, running on cpu: ${reason}`,
      };
    }
  }
  return { ...(await open({ ...common, executionProviders: ['cpu'] })), provider: 'cpu' };
}
