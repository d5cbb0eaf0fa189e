import { Packr } from 'msgpackr';
import { EparaError } from './errors';
import { baseMediaType, isJson, isMsgpack, MediaType } from './headers';
import {
  Datatype,
  DATATYPES,
  elementCount,
  fromBytes,
  fromJsonArray,
  isDatatype,
  Tensor,
  toBytes,
  toJsonArray,
  TypedArray,
} from './tensor';

/**
 * msgpack without records (plain maps, readable by any msgpack library). Typed arrays are written as
 * `bin` (raw little-endian bytes) by the encoders below, and `bin` decodes to a Uint8Array view.
 */
export const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: 'bigint' });

/** What a function is invoked with: tensors (Open Inference Protocol) or media bytes (image, audio). */
export type Invocation =
  | { type: 'tensors'; id?: string; inputs: Tensor[]; outputNames?: string[]; parameters?: Record<string, unknown> }
  | { type: 'media'; mediaType: string; bytes: Uint8Array; parameters?: Record<string, unknown> };

/** What a function answers: tensors, or a JSON-able document (boxes, text, ...). */
export type InvocationResult = { type: 'tensors'; outputs: Tensor[] } | { type: 'document'; body: unknown };

interface WireTensor {
  name?: unknown;
  shape?: unknown;
  datatype?: unknown;
  data?: unknown;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function decodeTensor(raw: WireTensor, index: number): Tensor {
  const where = `inputs[${index}]`;
  if (!isPlainObject(raw)) throw EparaError.badInput(`${where} must be an object with name, shape, datatype and data`);
  const { name, shape, datatype, data } = raw;
  if (typeof name !== 'string' || name.length === 0) throw EparaError.badInput(`${where}.name must be a non-empty string`);
  const what = `input "${name}"`;
  if (!isDatatype(datatype))
    throw EparaError.badInput(`${what}: datatype ${JSON.stringify(datatype)} is not one of ${DATATYPES.join(', ')}`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw EparaError.badInput(`${what}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  let values: TypedArray;
  if (data instanceof Uint8Array) values = fromBytes(datatype, data, what);
  else if (ArrayBuffer.isView(data)) values = fromBytes(datatype, new Uint8Array(data.buffer, data.byteOffset, data.byteLength), what);
  else if (Array.isArray(data) || typeof data === 'number' || typeof data === 'boolean') values = fromJsonArray(datatype, data, what);
  else throw EparaError.badInput(`${what}: data must be an array of numbers, or raw bytes in msgpack`);
  const expected = elementCount(shape as number[]);
  if (values.length !== expected) {
    throw EparaError.badInput(`${what}: shape ${JSON.stringify(shape)} needs ${expected} elements, data has ${values.length}`, {
      input: name,
      shape,
      elements: values.length,
    });
  }
  return { name, datatype: datatype as Datatype, shape: shape as number[], data: values };
}

function decodeTensorDocument(doc: unknown): Invocation {
  if (!isPlainObject(doc) || !Array.isArray(doc.inputs)) {
    throw EparaError.badInput(
      'request body must be an object with an "inputs" array (Open Inference Protocol layout: {"inputs":[{"name","shape","datatype","data"}]})',
    );
  }
  if (doc.inputs.length === 0) throw EparaError.badInput('"inputs" is empty: give at least one tensor');
  const inputs = doc.inputs.map((t, i) => decodeTensor(t as WireTensor, i));
  const names = new Set<string>();
  for (const t of inputs) {
    if (names.has(t.name)) throw EparaError.badInput(`input "${t.name}" is given twice`);
    names.add(t.name);
  }
  let outputNames: string[] | undefined;
  if (doc.outputs !== undefined) {
    if (!Array.isArray(doc.outputs) || !doc.outputs.every((o) => isPlainObject(o) && typeof o.name === 'string')) {
      throw EparaError.badInput('"outputs" must be an array of {"name": string}');
    }
    outputNames = (doc.outputs as { name: string }[]).map((o) => o.name);
  }
  const id = typeof doc.id === 'string' ? doc.id : undefined;
  const parameters = isPlainObject(doc.parameters) ? doc.parameters : undefined;
  return { type: 'tensors', id, inputs, outputNames, parameters };
}

/**
 * Decodes an invocation body by its content type: JSON or msgpack tensors, anything else as media bytes.
 * Throws EparaError(400) naming what is wrong; never throws anything else on bad bytes.
 */
export function decodeInvocation(body: Uint8Array, contentType: string | undefined): Invocation {
  const media = baseMediaType(contentType);
  if (isMsgpack(media)) {
    let doc: unknown;
    try {
      doc = packr.unpack(body);
    } catch (e) {
      throw EparaError.badInput(`body is not valid msgpack: ${(e as Error).message}`);
    }
    return decodeTensorDocument(doc);
  }
  if (isJson(media)) {
    let doc: unknown;
    try {
      doc = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
    } catch (e) {
      throw EparaError.badInput(`body is not valid JSON: ${(e as Error).message}`);
    }
    return decodeTensorDocument(doc);
  }
  return { type: 'media', mediaType: media ?? MediaType.OctetStream, bytes: body };
}

/**
 * Encodes an invocation as msgpack with tensors as raw bytes: what the gateway and clients send.
 * `outputNames` asks for those outputs only (the request's `outputs`).
 */
export function encodeTensorsMsgpack(inputs: Tensor[], id?: string, outputNames?: string[]): Uint8Array {
  return packr.pack({
    ...(id ? { id } : {}),
    inputs: inputs.map((t) => ({ name: t.name, shape: t.shape, datatype: t.datatype, data: bufferOf(t.data) })),
    ...(outputNames ? { outputs: outputNames.map((name) => ({ name })) } : {}),
  });
}

function bufferOf(data: TypedArray): Buffer {
  const bytes = toBytes(data);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A reply body in the Open Inference Protocol response layout, as JSON or msgpack (`Accept` decides). */
export function encodeResult(
  result: InvocationResult,
  meta: { modelName: string; id?: string },
  accept: string | undefined,
): { body: Uint8Array; contentType: string } {
  const msgpack = isMsgpack(accept);
  let doc: unknown;
  if (result.type === 'tensors') {
    doc = {
      model_name: meta.modelName,
      ...(meta.id ? { id: meta.id } : {}),
      outputs: result.outputs.map((t) => ({
        name: t.name,
        datatype: t.datatype,
        shape: t.shape,
        data: msgpack ? bufferOf(t.data) : toJsonArray(t.datatype, t.data),
      })),
    };
  } else {
    doc = result.body;
  }
  if (msgpack) return { body: packr.pack(doc), contentType: MediaType.Msgpack };
  return { body: Buffer.from(JSON.stringify(doc)), contentType: MediaType.Json };
}

/** Decodes a reply body produced by `encodeResult` (for clients, tests and benchmarks). */
export function decodeResultTensors(body: Uint8Array, contentType: string | undefined): Tensor[] {
  const doc = isMsgpack(contentType) ? packr.unpack(body) : JSON.parse(Buffer.from(body).toString('utf8'));
  if (!isPlainObject(doc) || !Array.isArray(doc.outputs)) throw EparaError.badInput('reply has no "outputs" array');
  return doc.outputs.map((t, i) => decodeTensor(t as WireTensor, i));
}
