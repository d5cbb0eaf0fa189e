import { EparaError, FunctionKind, Invocation, InvocationResult, kindCapabilities, ModelInfo, Tensor, TensorSpec } from '@epara/contracts';
import { PreparedRequest } from '@epara/contracts';
import { type KindHandler, sampleTensors } from '@epara/runtime';

const describeShape = (s: TensorSpec) => `${s.datatype} [${s.shape.join(',')}]`;

/** Unbatched inputs up to this many elements join the group key by value; larger ones never share a batch. */
const MAX_KEYED_ELEMENTS = 64;
let uniqueKeys = 0;

function checkInput(spec: TensorSpec, t: Tensor): void {
  const what = `input "${spec.name}"`;
  if (t.datatype !== spec.datatype) {
    throw EparaError.badInput(`${what}: datatype ${t.datatype}, expected ${spec.datatype}`, {
      input: spec.name,
      expected: describeShape(spec),
      got: t.datatype,
    });
  }
  const bad =
    t.shape.length !== spec.shape.length ? -1 : spec.shape.findIndex((d, i) => (typeof d === 'number' ? t.shape[i] !== d : t.shape[i] < 1));
  if (t.shape.length !== spec.shape.length || bad >= 0) {
    const why =
      t.shape.length !== spec.shape.length
        ? `rank ${t.shape.length}, expected ${spec.shape.length}`
        : `dimension ${bad} is ${t.shape[bad]}, expected ${spec.shape[bad]}`;
    throw EparaError.badInput(`${what}: shape [${t.shape.join(',')}] does not match the model's [${spec.shape.join(',')}] (${why})`, {
      input: spec.name,
      expected: spec.shape,
      got: t.shape,
    });
  }
}

function groupPart(spec: TensorSpec, t: Tensor): string {
  if (spec.batchAxis !== null) return t.shape.map((d, i) => (i === spec.batchAxis ? '*' : d)).join('x');
  if (t.data.length <= MAX_KEYED_ELEMENTS) return `${t.shape.join('x')}=${Array.from(t.data as ArrayLike<number | bigint>).join(',')}`;
  return `unique${++uniqueKeys}`;
}

/** Checks tensors against the model's signature and orders them as the model expects. */
export function prepareTensors(invocation: Invocation, model: ModelInfo): PreparedRequest {
  if (invocation.type !== 'tensors') {
    throw EparaError.badInput(`this function takes tensors as JSON or msgpack ({"inputs":[...]}), not ${invocation.mediaType}`);
  }
  const byName = new Map(invocation.inputs.map((t) => [t.name, t]));
  const inputs: Tensor[] = [];
  let items: number | undefined;
  const key: string[] = [];
  for (const spec of model.inputs) {
    const t = byName.get(spec.name);
    if (!t) {
      throw EparaError.badInput(`missing input "${spec.name}": expected ${describeShape(spec)}`, {
        input: spec.name,
        expected: spec.shape,
      });
    }
    checkInput(spec, t);
    byName.delete(spec.name);
    if (spec.batchAxis !== null) {
      const n = t.shape[spec.batchAxis];
      if (items !== undefined && n !== items) {
        throw EparaError.badInput(`input "${spec.name}" has ${n} items on its batch axis, other inputs have ${items}`);
      }
      items = n;
    }
    key.push(groupPart(spec, t));
    inputs.push(t);
  }
  if (byName.size) {
    const extra = [...byName.keys()][0];
    throw EparaError.badInput(`unknown input "${extra}": the model's inputs are ${model.inputs.map((s) => s.name).join(', ')}`, {
      input: extra,
    });
  }
  const known = new Set(model.outputs.map((o) => o.name));
  const unknownOutput = invocation.outputNames?.find((n) => !known.has(n));
  if (unknownOutput) {
    throw EparaError.badInput(`unknown output "${unknownOutput}": the model's outputs are ${[...known].join(', ')}`);
  }
  return { inputs, items: items ?? 1, groupKey: key.join('|'), outputNames: invocation.outputNames };
}

export function selectOutputs(outputs: Tensor[], names: string[] | undefined): InvocationResult {
  if (!names) return { type: 'tensors', outputs };
  return { type: 'tensors', outputs: outputs.filter((o) => names.includes(o.name)) };
}

export const tensorKind: KindHandler = {
  ...kindCapabilities(FunctionKind.Tensor),
  prepare: async (invocation, model) => prepareTensors(invocation, model),
  finish: (outputs, prepared) => selectOutputs(outputs, prepared.outputNames),
  sample: sampleTensors,
};
