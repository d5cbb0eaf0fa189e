/** Why a JSON document could not be read: names what was being read, and keeps the parser's reason. */
export class JsonDecodeError extends Error {
  constructor(
    readonly what: string,
    readonly reason: string,
  ) {
    super(`${what} is not valid JSON: ${reason}`);
    this.name = JsonDecodeError.name;
  }
}

/** The UTF-8 JSON bytes of a value, as Epara stores it in KV and sends it on subjects. */
export function encodeJson(value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(value));
}

/**
 * Parses UTF-8 JSON bytes (a KV value, a message body). Throws JsonDecodeError naming `what` (e.g.
 * `KV epara_functions/ocr`) so a bad value can be found. The type is the caller's claim; nothing is validated.
 */
export function decodeJson<T>(bytes: Uint8Array, what: string): T {
  // A view over the same memory: values can be megabytes (results in `epara_requests`).
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new JsonDecodeError(what, (e as Error).message);
  }
}
