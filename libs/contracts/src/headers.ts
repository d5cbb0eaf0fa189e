/** Header names shared by HTTP and NATS (NATS headers are case-sensitive: use these spellings). */
export const Header = {
  ContentType: 'Content-Type',
  Accept: 'Accept',
  RequestId: 'Epara-Request-Id',
  /** Absolute deadline, epoch milliseconds. Workers answer 504 without running once it has passed. */
  Deadline: 'Epara-Deadline',
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
