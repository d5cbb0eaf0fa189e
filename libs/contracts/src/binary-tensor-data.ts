import { EparaError } from './errors';
import { packr } from './inference-codec';
import { Datatype, fromBytes, toJsonArray } from './tensor';

/**
 * The Open Inference Protocol's binary tensor data extension, as Triton's `tritonclient` HTTP client
 * speaks it by default: a JSON header of `Inference-Header-Content-Length` bytes, then the raw bytes
 * of each input whose `parameters.binary_data_size` says how many; the answer likewise for outputs
 * asked with `parameters.binary_data` (or all, with the request's `parameters.binary_data_output`).
 */
export const INFERENCE_HEADER_CONTENT_LENGTH = 'Inference-Header-Content-Length';

interface BinaryRequestDoc {
  id?: unknown;
  parameters?: { binary_data_output?: unknown };
  inputs?: unknown;
  outputs?: { name?: unknown; parameters?: { binary_data?: unknown } }[];
}

/** Which outputs the answer carries as raw bytes: by name, and the default for the rest. */
export interface BinaryOutputs {
  byName: Map<string, boolean>;
  otherwise: boolean;
}

const object = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A binary-extension request as an Epara msgpack invocation (raw bytes stay raw; inputs given as JSON
 * `data` stay JSON), plus which outputs to answer in binary. 400 naming what is wrong.
 */
export function binaryRequestToMsgpack(body: Uint8Array, headerLength: number): { body: Uint8Array; binaryOutputs: BinaryOutputs } {
  if (!Number.isInteger(headerLength) || headerLength < 0 || headerLength > body.byteLength)
    throw EparaError.badInput(
      `${INFERENCE_HEADER_CONTENT_LENGTH} is ${headerLength}, but the body has ${body.byteLength} bytes: it must be the length of the JSON header at its start`,
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body.buffer, body.byteOffset, headerLength).toString('utf8'));
  } catch (e) {
    throw EparaError.badInput(`the inference header (first ${headerLength} bytes) is not valid JSON: ${(e as Error).message}`);
  }
  if (!object(parsed) || !Array.isArray(parsed.inputs)) throw EparaError.badInput('the inference header needs an "inputs" array');
  const doc = parsed as unknown as BinaryRequestDoc & { inputs: unknown[] };
  let offset = headerLength;
  const inputs = doc.inputs.map((raw: unknown, i: number) => {
    if (!object(raw)) throw EparaError.badInput(`inputs[${i}] must be an object`);
    const params = object(raw.parameters) ? raw.parameters : {};
    const size = params.binary_data_size;
    const rest = Object.fromEntries(Object.entries(params).filter(([k]) => k !== 'binary_data_size'));
    const tensor: Record<string, unknown> = { name: raw.name, shape: raw.shape, datatype: raw.datatype };
    if (Object.keys(rest).length) tensor.parameters = rest;
    if (size === undefined) return { ...tensor, data: raw.data };
    if (raw.datatype === 'BYTES') throw EparaError.badInput(`input "${String(raw.name)}": BYTES tensors are not served yet`);
    if (!Number.isInteger(size) || (size as number) < 0 || offset + (size as number) > body.byteLength)
      throw EparaError.badInput(
        `input "${String(raw.name)}": binary_data_size ${JSON.stringify(size)} does not fit the ${body.byteLength - offset} bytes left after the header and the inputs before it`,
      );
    const data = Buffer.from(body.buffer, body.byteOffset + offset, size as number);
    offset += size as number;
    return { ...tensor, data };
  });
  if (offset !== body.byteLength)
    throw EparaError.badInput(`${body.byteLength - offset} bytes after the last binary input are not claimed by any binary_data_size`);
  const byName = new Map<string, boolean>();
  const outputNames: string[] = [];
  for (const o of Array.isArray(doc.outputs) ? doc.outputs : []) {
    if (typeof o?.name !== 'string') continue;
    outputNames.push(o.name);
    if (typeof o.parameters?.binary_data === 'boolean') byName.set(o.name, o.parameters.binary_data);
  }
  const msgpack = packr.pack({
    ...(typeof doc.id === 'string' ? { id: doc.id } : {}),
    inputs,
    ...(outputNames.length ? { outputs: outputNames.map((name) => ({ name })) } : {}),
  });
  return { body: msgpack, binaryOutputs: { byName, otherwise: doc.parameters?.binary_data_output === true } };
}

/**
 * An Epara msgpack result (outputs with raw bytes) as a binary-extension answer: the JSON header (its
 * length for `Inference-Header-Content-Length`), then the bytes of each binary output in order.
 */
export function msgpackResultToBinary(result: Uint8Array, which: BinaryOutputs): { body: Buffer; headerLength: number } {
  const doc = packr.unpack(result) as {
    model_name?: string;
    id?: string;
    outputs?: { name: string; datatype: string; shape: number[]; data: unknown }[];
  };
  if (!object(doc) || !Array.isArray(doc.outputs)) throw new EparaError(500, 'the worker answered without "outputs"');
  const chunks: Buffer[] = [];
  const outputs = doc.outputs.map((o) => {
    const bytes = o.data instanceof Uint8Array ? Buffer.from(o.data.buffer, o.data.byteOffset, o.data.byteLength) : undefined;
    const binary = which.byName.get(o.name) ?? which.otherwise;
    if (!binary || !bytes)
      return {
        name: o.name,
        datatype: o.datatype,
        shape: o.shape,
        data: bytes ? toJsonArray(o.datatype as Datatype, fromBytes(o.datatype as Datatype, bytes, `output "${o.name}"`)) : o.data,
      };
    chunks.push(bytes);
    return { name: o.name, datatype: o.datatype, shape: o.shape, parameters: { binary_data_size: bytes.byteLength } };
  });
  const header = Buffer.from(JSON.stringify({ model_name: doc.model_name, ...(doc.id ? { id: doc.id } : {}), outputs }));
  return { body: Buffer.concat([header, ...chunks]), headerLength: header.byteLength };
}
