import { onnx } from 'onnx-proto';

/**
 * Element types, sizes and byte counts of ONNX tensors, as far as the partitioner needs them: weight
 * bytes per stage (for `maxStageBytes`) and the element type of every tensor that crosses a cut (a
 * stage's graph input must declare one; onnxruntime rejects an input without type information).
 */

export const DataType = onnx.TensorProto.DataType;

/** protobufjs decodes int64 fields as `Long` objects; everything here wants plain numbers. */
export function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value && typeof value === 'object' && 'toNumber' in value) return (value as { toNumber(): number }).toNumber();
  return Number(value ?? 0);
}

const BYTES_PER_ELEMENT: Record<number, number> = {
  [DataType.FLOAT]: 4,
  [DataType.UINT8]: 1,
  [DataType.INT8]: 1,
  [DataType.UINT16]: 2,
  [DataType.INT16]: 2,
  [DataType.INT32]: 4,
  [DataType.INT64]: 8,
  [DataType.BOOL]: 1,
  [DataType.FLOAT16]: 2,
  [DataType.DOUBLE]: 8,
  [DataType.UINT32]: 4,
  [DataType.UINT64]: 8,
  [DataType.COMPLEX64]: 8,
  [DataType.COMPLEX128]: 16,
  [DataType.BFLOAT16]: 2,
  // Newer than the onnx-proto 8.0.1 schema: the float8 variants (17-20), then uint4/int4 (21, 22).
  17: 1,
  18: 1,
  19: 1,
  20: 1,
  21: 0.5,
  22: 0.5,
};

/** Bytes per element; unknown types count as 4 (the common float32) so they are never free. */
export function bytesPerElement(elemType: number | null | undefined): number {
  return BYTES_PER_ELEMENT[elemType ?? DataType.FLOAT] ?? 4;
}

export function elementCount(dims: readonly unknown[] | null | undefined): number {
  return (dims ?? []).reduce<number>((n, d) => n * toNumber(d), 1);
}

const EXTERNAL = onnx.TensorProto.DataLocation.EXTERNAL;

/** Bytes a tensor's data occupies in the model file. */
export function tensorBytes(tensor: onnx.ITensorProto): number {
  if (tensor.dataLocation === EXTERNAL) {
    throw new Error(
      `tensor "${tensor.name}" keeps its data in an external file; partition needs the weights inside the model (save it without external data)`,
    );
  }
  if (tensor.rawData && tensor.rawData.length > 0) return tensor.rawData.length;
  if (tensor.dataType === DataType.STRING) return (tensor.stringData ?? []).reduce((n, s) => n + s.length, 0);
  return Math.ceil(elementCount(tensor.dims) * bytesPerElement(tensor.dataType));
}

export function sparseTensorBytes(sparse: onnx.ISparseTensorProto): number {
  return (sparse.values ? tensorBytes(sparse.values) : 0) + (sparse.indices ? tensorBytes(sparse.indices) : 0);
}

/** Size and element type of the value a `Constant` node produces, from whichever `value*` attribute it has. */
export function constantValue(node: onnx.INodeProto): { bytes: number; elements: number; elemType: number } {
  const attr = (node.attribute ?? [])[0];
  if (!attr) return { bytes: 0, elements: 0, elemType: DataType.FLOAT };
  switch (attr.name) {
    case 'value':
      return { bytes: tensorBytes(attr.t ?? {}), elements: elementCount(attr.t?.dims), elemType: attr.t?.dataType ?? DataType.FLOAT };
    case 'sparse_value':
      return {
        bytes: sparseTensorBytes(attr.sparseTensor ?? {}),
        elements: elementCount(attr.sparseTensor?.values?.dims),
        elemType: attr.sparseTensor?.values?.dataType ?? DataType.FLOAT,
      };
    case 'value_float':
      return { bytes: 4, elements: 1, elemType: DataType.FLOAT };
    case 'value_floats':
      return { bytes: 4 * (attr.floats?.length ?? 0), elements: attr.floats?.length ?? 0, elemType: DataType.FLOAT };
    case 'value_int':
      return { bytes: 8, elements: 1, elemType: DataType.INT64 };
    case 'value_ints':
      return { bytes: 8 * (attr.ints?.length ?? 0), elements: attr.ints?.length ?? 0, elemType: DataType.INT64 };
    case 'value_string':
      return { bytes: attr.s?.length ?? 0, elements: 1, elemType: DataType.STRING };
    case 'value_strings':
      return {
        bytes: (attr.strings ?? []).reduce((n, s) => n + s.length, 0),
        elements: attr.strings?.length ?? 0,
        elemType: DataType.STRING,
      };
    default:
      return { bytes: 0, elements: 0, elemType: DataType.FLOAT };
  }
}

/** Bytes of a declared tensor value (symbolic dims count as 1, i.e. per batch item); undefined without a full shape. */
export function declaredTensorBytes(info: onnx.IValueInfoProto | undefined): number | undefined {
  const tensorType = info?.type?.tensorType;
  const dims = tensorType?.shape?.dim;
  if (!tensorType || !dims) return undefined;
  let elements = 1;
  for (const d of dims) {
    if (d.dimValue !== undefined && d.dimValue !== null && toNumber(d.dimValue) > 0) elements *= toNumber(d.dimValue);
    else if (!d.dimParam) return undefined;
  }
  return Math.ceil(elements * bytesPerElement(tensorType.elemType));
}

const attribute = (node: onnx.INodeProto, name: string) => (node.attribute ?? []).find((a) => a.name === name);
const subgraphOutputType = (graph: onnx.IGraphProto | null | undefined, index: number) =>
  graph?.output?.[index]?.type?.tensorType?.elemType || undefined;

const BOOLEAN_RESULT = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf']);
const INT64_RESULT = new Set(['Shape', 'Size', 'NonZero', 'ArgMax', 'ArgMin', 'NonMaxSuppression']);

/**
 * Element types of a node's outputs from its op and input types (a small slice of ONNX type inference:
 * the ops whose output type differs from their first input's). `undefined` where it cannot tell; the
 * caller then falls back to the first input's type. Declared value_info, when the model has it, wins.
 */
export function outputElementTypes(node: onnx.INodeProto, inputType: (index: number) => number | undefined): (number | undefined)[] {
  const count = (node.output ?? []).length;
  const all = (t: number | undefined) => Array.from({ length: count }, () => t);
  const op = node.opType ?? '';
  if (BOOLEAN_RESULT.has(op)) return all(DataType.BOOL);
  if (INT64_RESULT.has(op)) return all(DataType.INT64);
  switch (op) {
    case 'Cast':
      return all(toNumber(attribute(node, 'to')?.i));
    case 'CastLike':
      return all(inputType(1));
    case 'Constant':
      return all(constantValue(node).elemType);
    case 'ConstantOfShape':
      return all(attribute(node, 'value')?.t?.dataType ?? DataType.FLOAT);
    case 'EyeLike':
    case 'RandomNormalLike':
    case 'RandomUniformLike': {
      const dtype = attribute(node, 'dtype');
      return all(dtype ? toNumber(dtype.i) : inputType(0));
    }
    case 'RandomNormal':
    case 'RandomUniform': {
      const dtype = attribute(node, 'dtype');
      return all(dtype ? toNumber(dtype.i) : DataType.FLOAT);
    }
    case 'Multinomial': {
      const dtype = attribute(node, 'dtype');
      return all(dtype ? toNumber(dtype.i) : DataType.INT32);
    }
    case 'TopK':
    case 'MaxPool':
      return [inputType(0), DataType.INT64];
    case 'Unique':
      return [inputType(0), DataType.INT64, DataType.INT64, DataType.INT64];
    case 'Dropout':
      return [inputType(0), DataType.BOOL];
    case 'DynamicQuantizeLinear':
      return [DataType.UINT8, DataType.FLOAT, DataType.UINT8];
    case 'QuantizeLinear': {
      const outputDtype = attribute(node, 'output_dtype');
      return all(inputType(2) ?? (outputDtype ? toNumber(outputDtype.i) : DataType.UINT8));
    }
    case 'DequantizeLinear':
      return all(inputType(1) ?? DataType.FLOAT);
    case 'MatMulInteger':
    case 'ConvInteger':
      return all(DataType.INT32);
    case 'QLinearConv':
    case 'QLinearMatMul':
      return all(inputType(7) ?? inputType(0));
    case 'Where':
      return all(inputType(1));
    case 'OneHot':
      return all(inputType(2));
    case 'If': {
      const thenBranch = attribute(node, 'then_branch')?.g;
      return Array.from({ length: count }, (_, i) => subgraphOutputType(thenBranch, i));
    }
    case 'Loop': {
      // Loop's body outputs are (condition, carried..., scan outputs...); the node's outputs skip the condition.
      const body = attribute(node, 'body')?.g;
      return Array.from({ length: count }, (_, i) => subgraphOutputType(body, i + 1));
    }
    case 'Scan': {
      const body = attribute(node, 'body')?.g;
      return Array.from({ length: count }, (_, i) => subgraphOutputType(body, i));
    }
    default:
      return all(undefined);
  }
}
