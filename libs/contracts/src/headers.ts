import { EparaError } from './errors';
import { describeBounds, NumberBounds, strictNumber } from './strict-number';

/** Header names shared by HTTP and NATS (NATS headers are case-sensitive: use these spellings). */
export const Header = {
  ContentType: 'Content-Type',
  Accept: 'Accept',
  RequestId: 'Epara-Request-Id',
  /** Absolute deadline, epoch milliseconds. Workers answer 504 without running once it has passed. */
  Deadline: 'Epara-Deadline',
  /** An integer, carried to the worker with the request (not used to order requests yet). */
  Priority: 'Epara-Priority',
  /**
   * `<bucket>/<key>`: the body of this message (request or reply) was over the connection's max payload,
   * so it lies in that JetStream object store instead; the message itself is empty. The receiver reads
   * the object and deletes it (the bucket's max age removes what nobody read).
   */
  PayloadRef: 'Epara-Payload-Ref',
  Device: 'Epara-Device',
  BatchSize: 'Epara-Batch-Size',
  QueueMs: 'Epara-Queue-Ms',
  ExecMs: 'Epara-Exec-Ms',
  Mode: 'Epara-Mode',
  Function: 'Epara-Function',
  /** Generation: `1` on a request asks for a token stream; on replies `token` or `end` (the last message). */
  Stream: 'Epara-Stream',
  /**
   * The stream a request belongs to (`audio-vad`: one microphone's audio): 1–128 characters of
   * `A-Z a-z 0-9 . _ : -`, starting with a letter or digit. Frames of one stream go to the replica that
   * holds its state. Required by kinds that keep stream state; malformed anywhere is a 400.
   */
  StreamId: 'Epara-Stream-Id',
  /** Pipeline stage a `pp` request is for (0-based). */
  Stage: 'Epara-Stage',
  ServiceError: 'Nats-Service-Error',
  ServiceErrorCode: 'Nats-Service-Error-Code',
  /** HTTP: an API key, as an alternative to `Authorization: Bearer <key>`. */
  ApiKey: 'X-Api-Key',
  Authorization: 'Authorization',
  /** On a 429: seconds until a retry could be admitted (as HTTP's `Retry-After`), on NATS replies and HTTP responses alike. */
  RetryAfter: 'Retry-After',
} as const;

export const MediaType = {
  Json: 'application/json',
  Msgpack: 'application/msgpack',
  OctetStream: 'application/octet-stream',
} as const;

/** The reply headers that describe how a request was served; the gateway copies them to HTTP. */
export const SERVING_HEADERS = [Header.Device, Header.BatchSize, Header.QueueMs, Header.ExecMs, Header.Mode, Header.RequestId] as const;

/** `application/msgpack; charset=x` → `application/msgpack`; undefined stays undefined. */
export function baseMediaType(contentType: string | undefined | null): string | undefined {
  if (!contentType) return undefined;
  return contentType.split(';')[0].trim().toLowerCase();
}

export function isMsgpack(contentType: string | undefined | null): boolean {
  const t = baseMediaType(contentType);
  return t === MediaType.Msgpack || t === 'application/x-msgpack' || t === 'application/vnd.msgpack';
}

export function isJson(contentType: string | undefined | null): boolean {
  const t = baseMediaType(contentType);
  return t === undefined || t === MediaType.Json || (t.startsWith('application/') && t.endsWith('+json'));
}

/** What each numeric request header accepts. */
const DEADLINE_BOUNDS: NumberBounds = { integer: true, min: 1 };
const PRIORITY_BOUNDS: NumberBounds = { integer: true, min: -2_147_483_648, max: 2_147_483_647 };
/** Pipeline stages of one model: far fewer in practice; the bound only refuses nonsense. */
const STAGE_BOUNDS: NumberBounds = { integer: true, min: 0, max: 1023 };

/**
 * A numeric request header: undefined when absent or empty; a malformed value is a 400 naming the
 * header, never ignored (a client whose deadline is silently dropped gets the SLO's instead, unaware).
 */
function numericHeader(name: string, raw: string | null | undefined, bounds: NumberBounds, hint = ''): number | undefined {
  if (raw === undefined || raw === null || raw.trim() === '') return undefined;
  const value = strictNumber(raw, bounds);
  if (value === undefined) {
    const shown = JSON.stringify(raw.length > 64 ? `${raw.slice(0, 64)}…` : raw);
    throw EparaError.badInput(`${name} must be ${describeBounds(bounds)}${hint}; got ${shown}`, { header: name });
  }
  return value;
}

/** `Epara-Deadline`: absolute deadline, epoch milliseconds. */
export function parseDeadlineHeader(raw: string | null | undefined): number | undefined {
  return numericHeader(Header.Deadline, raw, DEADLINE_BOUNDS, ' (epoch milliseconds, e.g. Date.now() + 500)');
}

/** `Epara-Priority`: an integer. */
export function parsePriorityHeader(raw: string | null | undefined): number | undefined {
  return numericHeader(Header.Priority, raw, PRIORITY_BOUNDS);
}

/** `Epara-Stage`: the 0-based pipeline stage a request is for; 0 when absent. */
export function parseStageHeader(raw: string | null | undefined): number {
  return numericHeader(Header.Stage, raw, STAGE_BOUNDS) ?? 0;
}

/** What a stream id may be (see `Header.StreamId`): safe in a log line, a metric-free key, an MQTT client id. */
const STREAM_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** `Epara-Stream-Id`: undefined when absent or empty; a malformed id is a 400 naming the header and the rule. */
export function parseStreamIdHeader(raw: string | null | undefined): string | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (!STREAM_ID.test(raw)) {
    const shown = JSON.stringify(raw.length > 64 ? `${raw.slice(0, 64)}…` : raw);
    throw EparaError.badInput(
      `${Header.StreamId} must be 1–128 characters of A-Z a-z 0-9 . _ : - starting with a letter or digit; got ${shown}`,
      { header: Header.StreamId },
    );
  }
  return raw;
}

/** `Epara-Stream-Id` where the function's kind keeps stream state: missing is a 400 saying what to send. */
export function requireStreamId(raw: string | null | undefined, fn: string): string {
  const id = parseStreamIdHeader(raw);
  if (id === undefined)
    throw EparaError.badInput(
      `function "${fn}" keeps state per stream: send the header ${Header.StreamId} (e.g. the microphone's id) with every frame`,
      { header: Header.StreamId },
    );
  return id;
}

/** The headers a client may send with an invocation (HTTP or NATS), parsed; 400 on a malformed one. */
export function clientRequestHeaders(get: (name: string) => string | null | undefined): {
  deadlineEpochMs?: number;
  priority?: number;
  streamId?: string;
} {
  const deadlineEpochMs = parseDeadlineHeader(get(Header.Deadline));
  const priority = parsePriorityHeader(get(Header.Priority));
  const streamId = parseStreamIdHeader(get(Header.StreamId));
  return {
    ...(deadlineEpochMs !== undefined ? { deadlineEpochMs } : {}),
    ...(priority !== undefined ? { priority } : {}),
    ...(streamId !== undefined ? { streamId } : {}),
  };
}
