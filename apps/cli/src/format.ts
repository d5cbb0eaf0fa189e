import { isMsgpack, packr, Tensor, toJsonArray } from '@epara/contracts';

/** Column-aligned text table with an upper-case header row; cells are padded with two spaces between. */
export function table(headers: string[], rows: (string | number)[][]): string[] {
  const cells = [headers.map((h) => h.toUpperCase()), ...rows.map((r) => r.map((c) => String(c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd(),
  );
}

function isScalar(v: unknown): boolean {
  return v === null || typeof v !== 'object';
}

/**
 * JSON indented by two spaces, except arrays of scalars, which stay on one line: tensor data and shapes
 * read as `[1.5, 2.25, 2, 14]` instead of one number per line. Binary (msgpack `bin`) shows as `<N bytes>`.
 */
export function prettyJson(value: unknown, indent = ''): string {
  if (value instanceof Uint8Array) return JSON.stringify(`<${value.byteLength} bytes>`);
  if (typeof value === 'bigint') return value.toString();
  if (isScalar(value)) return JSON.stringify(value) ?? 'null';
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every(isScalar)) return `[${value.map((v) => JSON.stringify(v) ?? 'null').join(', ')}]`;
    return `[\n${value.map((v) => inner + prettyJson(v, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${prettyJson(v, inner)}`).join(',\n')}\n${indent}}`;
}

/** Makes a msgpack-decoded value JSON-safe for `--json`: binary as `{ bytes, hex }`, bigint as a number or string. */
export function jsonSafe(value: unknown): unknown {
  if (value instanceof Uint8Array) return { bytes: value.byteLength, hex: hexPrefix(value, 64) };
  if (typeof value === 'bigint')
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v)]));
  return value;
}

export function hexPrefix(bytes: Uint8Array, maxBytes = 32): string {
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, maxBytes)).toString('hex');
  return bytes.byteLength > maxBytes ? `${hex}…` : hex;
}

/** `1597917` → `1.6 MB`: decimal units, as the gateway's and scheduler's reasons write them. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '-';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

/** Milliseconds as a short age: `850ms`, `12s`, `3m`, `2h`. */
export function formatAge(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Math.round(ms / 1000)}s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)}m`;
  return `${Math.round(ms / 3_600_000)}h`;
}

/** UTF-8 text without control characters other than tab and newlines, or undefined. */
export function asText(bytes: Uint8Array): string | undefined {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  if (text.includes('\uFFFD')) return undefined;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(text)) return undefined;
  return text;
}

export type DecodedPayload =
  { as: 'json' | 'msgpack'; value: unknown } | { as: 'text'; value: string } | { as: 'binary'; value: Uint8Array };

/**
 * Reads a payload the way a person wants to see it: msgpack (by content type) decoded, JSON parsed
 * (by content type, or because it parses), printable UTF-8 as text, anything else as bytes.
 */
export function decodePayload(bytes: Uint8Array, contentType?: string): DecodedPayload {
  if (bytes.byteLength === 0) return { as: 'text', value: '' };
  if (isMsgpack(contentType)) {
    try {
      return { as: 'msgpack', value: packr.unpack(bytes) };
    } catch {
      return { as: 'binary', value: bytes };
    }
  }
  const text = asText(bytes);
  if (text === undefined) return { as: 'binary', value: bytes };
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[') || trimmed === 'null' || /^-?\d/.test(trimmed) || trimmed.startsWith('"')) {
    try {
      return { as: 'json', value: JSON.parse(text) };
    } catch {
      // not JSON after all: shown as text
    }
  }
  return { as: 'text', value: text };
}

/** Lines that show a payload: pretty JSON / decoded msgpack, text, or `<N bytes> hex…`. */
export function describePayload(bytes: Uint8Array, contentType?: string): string[] {
  const d = decodePayload(bytes, contentType);
  if (d.as === 'binary') return [`<${d.value.byteLength} bytes> ${hexPrefix(d.value)}`];
  if (d.as === 'text') return d.value === '' ? ['<empty>'] : d.value.replace(/\n$/, '').split('\n');
  return prettyJson(d.value).split('\n');
}

/** The payload as one JSON value for `--json` output. */
export function payloadJson(bytes: Uint8Array, contentType?: string): unknown {
  const d = decodePayload(bytes, contentType);
  if (d.as === 'binary') return { bytes: d.value.byteLength, hex: hexPrefix(d.value, 64) };
  return jsonSafe(d.value);
}

/** First `max` values of a tensor, with how many were left out. */
export function tensorValues(t: Tensor, max = 16): string {
  const values = toJsonArray(t.datatype, t.data);
  const shown = values.slice(0, max).map((v) => (typeof v === 'number' ? String(Number(v.toPrecision(7))) : String(v)));
  return values.length > max ? `${shown.join(', ')}, … (${values.length - max} more)` : shown.join(', ');
}

/** One row per tensor: name, datatype, shape and its first values. */
export function tensorTable(tensors: Tensor[]): string[] {
  return table(
    ['output', 'datatype', 'shape', 'values'],
    tensors.map((t) => [t.name, t.datatype, `[${t.shape.join(',')}]`, tensorValues(t)]),
  );
}

/** Tensors as JSON (full data), the way the JSON reply would carry them. */
export function tensorsJson(tensors: Tensor[]): { name: string; datatype: string; shape: number[]; data: unknown[] }[] {
  return tensors.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape, data: toJsonArray(t.datatype, t.data) }));
}
