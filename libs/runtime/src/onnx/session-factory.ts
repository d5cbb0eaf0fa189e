import * as ort from 'onnxruntime-node';

/** Execution providers Epara asks onnxruntime for. `cuda` needs the CUDA provider libraries installed. */
export const ExecutionProvider = { Cpu: 'cpu', Cuda: 'cuda', WebGpu: 'webgpu' } as const;
export type ExecutionProvider = (typeof ExecutionProvider)[keyof typeof ExecutionProvider];

export interface SessionOptions {
  provider: ExecutionProvider;
  /** onnxruntime intra-op threads. 1 is fastest for small models on a 2-core machine (dependencies.md §3). */
  intraOpNumThreads: number;
  /** CUDA/WebGPU device index when the provider is a GPU. */
  deviceId?: number;
}

export interface CreatedSession {
  session: ort.InferenceSession;
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
 * Creates a session on the asked provider. onnxruntime throws (it does not fall back) when a provider's
 * libraries are missing, so a failed GPU provider is retried on CPU explicitly and the reason is returned.
 */
export async function createSession(model: Uint8Array, o: SessionOptions): Promise<CreatedSession> {
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
      const session = await ort.InferenceSession.create(model, { ...common, executionProviders: [providerConfig(o)] });
      return { session, provider: o.provider };
    } catch (e) {
      const session = await ort.InferenceSession.create(model, { ...common, executionProviders: ['cpu'] });
      const reason = ((e as Error).message ?? String(e)).split('\n')[0].slice(0, 300);
      return { session, provider: 'cpu', note: `asked for ${o.provider}, running on cpu: ${reason}` };
    }
  }
  const session = await ort.InferenceSession.create(model, { ...common, executionProviders: ['cpu'] });
  return { session, provider: 'cpu' };
}

/** Probes once whether a provider can create a session at all (used for the device state at start). */
export async function probeProvider(o: SessionOptions, probeModel: Uint8Array): Promise<CreatedSession> {
  const created = await createSession(probeModel, o);
  await created.session.release();
  return created;
}
