import { onnx } from 'onnx-proto';

/** Small helpers over onnx-proto so model definitions read like the graph they describe. */

const FLOAT = onnx.TensorProto.DataType.FLOAT;

/** A dimension: a number is fixed, a string is symbolic (e.g. `'batch'`). */
export type Dim = number | string;

/** A float32 initializer (weights); stored as little-endian `rawData`, which onnxruntime reads directly. */
export function floatInitializer(name: string, dims: number[], data: Float32Array): onnx.ITensorProto {
  return onnx.TensorProto.create({
    name,
    dims,
    dataType: FLOAT,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  });
}

export function floatValueInfo(name: string, shape: Dim[], elemType: number = FLOAT): onnx.IValueInfoProto {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  });
}

export function intAttr(name: string, i: number): onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i };
}

export function intsAttr(name: string, ints: number[]): onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INTS, ints };
}

/** A node named after its first output, which keeps names unique in these single-path graphs. */
export function node(
  opType: string,
  inputs: string[],
  outputs: string | string[],
  attribute: onnx.IAttributeProto[] = [],
): onnx.INodeProto {
  const output = Array.isArray(outputs) ? outputs : [outputs];
  return onnx.NodeProto.create({ opType, input: inputs, output, attribute, name: `${opType.toLowerCase()}_${output[0]}` });
}

/** Serializes a graph as an IR 8 / opset 13 model; the encoding is deterministic for identical inputs. */
export function encodeModel(graph: onnx.IGraphProto, docString: string): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'epara-synthetic',
    producerVersion: '1',
    docString,
    opsetImport: [{ domain: '', version: 13 }],
    graph: onnx.GraphProto.create(graph),
  });
  return onnx.ModelProto.encode(model).finish();
}
