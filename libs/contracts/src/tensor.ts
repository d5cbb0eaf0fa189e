import { EparaError } from './errors';

/** Tensor datatypes of the Open Inference Protocol (KServe v2) that Epara carries. */
export const Datatype = {
  Bool: 'BOOL',
  Uint8: 'UINT8',
  Int8: 'INT8',
  Int16: 'INT16',
  Uint16: 'UINT16',
  Int32: 'INT32',
  Uint32: 'UINT32',
  Int64: 'INT64',
  Uint64: 'UINT64',
  /** IEEE half precision, kept as its 16 bits in a Uint16Array (what onnxruntime's float16 tensors take). */
  Fp16: 'FP16',
  Fp32: 'FP32',
  Fp64: 'FP64',
} as const;
export type Datatype = (typeof Datatype)[keyof typeof Datatype];

export type TypedArray =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

type TypedArrayCtor = {
  new (n: number): TypedArray;
  new (b: ArrayBufferLike, o: number, n: number): TypedArray;
  BYTES_PER_ELEMENT: number;
};

interface DatatypeInfo {
  readonly ctor: TypedArrayCtor;
  /** onnxruntime's name for the element type. */
  readonly ort: string;
  readonly bigint: boolean;
}

const INFO: Record<Datatype, DatatypeInfo> = {
  BOOL: { ctor: Uint8Array, ort: 'bool', bigint: false },
  UINT8: { ctor: Uint8Array, ort: 'uint8', bigint: false },
  INT8: { ctor: Int8Array, ort: 'int8', bigint: false },
  INT16: { ctor: Int16Array, ort: 'int16', bigint: false },
  UINT16: { ctor: Uint16Array, ort: 'uint16', bigint: false },
  INT32: { ctor: Int32Array, ort: 'int32', bigint: false },
  UINT32: { ctor: Uint32Array, ort: 'uint32', bigint: false },
  INT64: { ctor: BigInt64Array as unknown as TypedArrayCtor, ort: 'int64', bigint: true },
  UINT64: { ctor: BigUint64Array as unknown as TypedArrayCtor, ort: 'uint64', bigint: true },
  FP16: { ctor: Uint16Array, ort: 'float16', bigint: false },
  FP32: { ctor: Float32Array, ort: 'float32', bigint: false },
  FP64: { ctor: Float64Array, ort: 'float64', bigint: false },
};

export const DATATYPES = Object.keys(INFO) as Datatype[];

export function isDatatype(v: unknown): v is Datatype {
  return typeof v === 'string' && v in INFO;
}

export function bytesPerElement(dt: Datatype): number {
  return INFO[dt].ctor.BYTES_PER_ELEMENT;
}

export function ortType(dt: Datatype): string {
  return INFO[dt].ort;
}

/** onnxruntime element type name (`float32`, `int64`, ...) → datatype; undefined for types Epara does not carry. */
export function datatypeFromOrt(ort: string): Datatype | undefined {
  return DATATYPES.find((d) => INFO[d].ort === ort);
}

/** A tensor in memory: row-major data in a typed array of the datatype's element type. */
export interface Tensor {
  name: string;
  datatype: Datatype;
  shape: number[];
  data: TypedArray;
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function allocate(dt: Datatype, length: number): TypedArray {
  return new INFO[dt].ctor(length);
}

/**
 * Views little-endian raw bytes as the datatype's typed array. Copies when the bytes are not aligned
 * to the element size (msgpack `bin` slices usually are not), so the result never aliases a misaligned buffer.
 */
export function fromBytes(dt: Datatype, bytes: Uint8Array, what: string): TypedArray {
  const size = INFO[dt].ctor.BYTES_PER_ELEMENT;
  if (bytes.byteLength % size !== 0) {
    throw EparaError.badInput(`${what}: ${bytes.byteLength} bytes is not a whole number of ${dt} elements (${size} bytes each)`);
  }
  const n = bytes.byteLength / size;
  if (bytes.byteOffset % size === 0) return new INFO[dt].ctor(bytes.buffer, bytes.byteOffset, n);
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new INFO[dt].ctor(copy.buffer, 0, n);
}

/** The raw little-endian bytes of a typed array, without copying. */
export function toBytes(data: TypedArray): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Fills a typed array from a JSON array (flat or nested); checks every element's type. */
export function fromJsonArray(dt: Datatype, values: unknown, what: string): TypedArray {
  const flat: unknown[] = Array.isArray(values) ? (values as unknown[]).flat(Infinity) : [values];
  const out = allocate(dt, flat.length);
  const info = INFO[dt];
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    if (info.bigint) {
      if (typeof v === 'number' && Number.isInteger(v)) (out as BigInt64Array)[i] = BigInt(v);
      else if (typeof v === 'string' && /^-?\d+$/.test(v)) (out as BigInt64Array)[i] = BigInt(v);
      else throw EparaError.badInput(`${what}: element ${i} (${JSON.stringify(v)}) is not an integer`);
    } else if (dt === 'FP16') {
      if (typeof v !== 'number') throw EparaError.badInput(`${what}: element ${i} (${JSON.stringify(v)}) is not a number`);
      out[i] = toHalf(v);
    } else if (dt === 'BOOL') {
      if (typeof v !== 'boolean' && v !== 0 && v !== 1)
        throw EparaError.badInput(`${what}: element ${i} (${JSON.stringify(v)}) is not a boolean`);
      out[i] = v ? 1 : 0;
    } else {
      if (typeof v !== 'number' || (Number.isNaN(v) && dt !== 'FP32' && dt !== 'FP64')) {
        throw EparaError.badInput(`${what}: element ${i} (${JSON.stringify(v)}) is not a number`);
      }
      out[i] = v;
    }
  }
  return out;
}

/** A JSON-safe flat array of a tensor's values (64-bit integers become numbers when exact, else strings). */
export function toJsonArray(dt: Datatype, data: TypedArray): unknown[] {
  if (INFO[dt].bigint) {
    return Array.from(data as BigInt64Array, (v) =>
      v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString(),
    );
  }
  if (dt === 'BOOL') return Array.from(data as Uint8Array, (v) => v !== 0);
  if (dt === 'FP16') return Array.from(data as Uint16Array, fromHalf);
  return Array.from(data as Float32Array);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The IEEE 754 half-precision bits nearest to `value` (round to nearest even; overflow → ±Infinity, NaN kept). */
export function toHalf(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Infinity, NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // too large: Infinity
  if (e <= 0) {
    if (e < -10) return sign; // too small: zero
    mant |= 0x800000; // subnormal half: shift the implicit bit in
    const shift = 14 - e;
    const half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && half & 1) ? 1 : 0));
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++; // a carry into the exponent is still right
  return sign | half;
}

/** The number that half-precision bits `bits` stand for. */
export function fromHalf(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}
