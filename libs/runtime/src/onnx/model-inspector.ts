import * as ort from 'onnxruntime-node';
import { datatypeFromOrt, EparaError, TensorSpec } from '@epara/contracts';

export interface ModelSignature {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  batchable: boolean;
}

const isDynamic = (d: number | string) => typeof d === 'string' || d < 0;

/**
 * Reads names, datatypes and shapes from a session and finds each tensor's batch axis: the dimension
 * that carries the same symbol as the first input's leading dynamic dimension. When the exporter left
 * dynamic dimensions unnamed (Silero VAD: input [?, ?], state [2, ?, 128]), it is each tensor's first
 * dynamic dimension — the state's batch axis is 1, not 0. A tensor without one gets `batchAxis: null`.
 */
export function signatureOf(session: ort.InferenceSession): ModelSignature {
  const inMeta = session.inputMetadata;
  const outMeta = session.outputMetadata;
  const first = inMeta.find((m) => m.isTensor && m.shape.length > 0 && isDynamic(m.shape[0]));
  const symbol = first && first.isTensor ? first.shape[0] : undefined;
  const axisOf = (shape: readonly (number | string)[]): number | null => {
    if (symbol === undefined) return null;
    if (typeof symbol === 'string' && symbol !== '') {
      const i = shape.indexOf(symbol);
      return i >= 0 ? i : null;
    }
    const i = shape.findIndex(isDynamic);
    return i >= 0 ? i : null;
  };
  const toSpec = (m: ort.InferenceSession.ValueMetadata, role: string): TensorSpec => {
    if (!m.isTensor) throw EparaError.badInput(`model ${role} "${m.name}" is not a tensor; Epara serves tensor models only`);
    const datatype = datatypeFromOrt(m.type);
    if (!datatype)
      throw EparaError.badInput(
        `model ${role} "${m.name}" has element type ${m.type}, which Epara does not carry (supported: bool, (u)int8-64, float16, float32, float64)`,
      );
    const shape = m.shape.map((d) => (typeof d === 'number' && d < 0 ? '?' : d));
    return { name: m.name, datatype, shape, batchAxis: axisOf(m.shape) };
  };
  const inputs = inMeta.map((m) => toSpec(m, 'input'));
  const outputs = outMeta.map((m) => {
    const spec = toSpec(m, 'output');
    // An output with no static shape at all (every dimension unnamed) says nothing about its batch axis:
    // take it from the one batched input of the same rank (Silero: stateN follows state, axis 1).
    if (spec.shape.length > 0 && spec.shape.every((d) => d === '' || d === '?')) {
      const peers = inputs.filter((i) => i.batchAxis !== null && i.shape.length === spec.shape.length);
      if (peers.length === 1) spec.batchAxis = peers[0].batchAxis;
    }
    return spec;
  });
  const batchable = inputs.some((t) => t.batchAxis !== null) && outputs.every((t) => t.batchAxis !== null);
  return { inputs, outputs, batchable };
}

/**
 * Opens model bytes with onnxruntime to prove they are a model it can run, and returns the signature.
 * Anything that is not a loadable ONNX model is a 400, with onnxruntime's reason.
 */
export async function inspectModel(bytes: Uint8Array): Promise<ModelSignature> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, executionProviders: ['cpu'], logSeverityLevel: 4 });
  } catch (e) {
    const reason = ((e as Error).message ?? String(e)).split('\n')[0].slice(0, 300);
    throw EparaError.badInput(`model file is not a valid ONNX model onnxruntime can load: ${reason}`, { field: 'model' });
  }
  try {
    return signatureOf(session);
  } finally {
    await session.release();
  }
}
