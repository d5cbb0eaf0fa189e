/**
 * HTTP-like codes used on both transports: HTTP status, and `Nats-Service-Error-Code` on NATS replies.
 * 400 bad input, 401 no API key or an unknown one, 403 the key lacks the scope, 404 unknown function,
 * 409 conflict, 413 payload too large, 429 shed (queue full), 500 internal, 501 not implemented for this
 * category, 503 no capacity, 504 deadline passed.
 */
export type ErrorCode = 400 | 401 | 403 | 404 | 409 | 413 | 429 | 500 | 501 | 503 | 504;
export const ERROR_CODES: readonly ErrorCode[] = [400, 401, 403, 404, 409, 413, 429, 500, 501, 503, 504];

/** The JSON error body on every transport: `{ "error": { "code", "message", "details" } }`. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

/** One error class for every outcome a caller can act on; `code` tells which. */
export class EparaError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'EparaError';
  }

  static badInput(message: string, details?: unknown): EparaError {
    return new EparaError(400, message, details);
  }
  static unauthorized(message: string, details?: unknown): EparaError {
    return new EparaError(401, message, details);
  }
  static forbidden(message: string, details?: unknown): EparaError {
    return new EparaError(403, message, details);
  }
  static notFound(message: string, details?: unknown): EparaError {
    return new EparaError(404, message, details);
  }
  static deadline(message = 'deadline passed before the request could run', details?: unknown): EparaError {
    return new EparaError(504, message, details);
  }
  static shed(message: string, details?: unknown): EparaError {
    return new EparaError(429, message, details);
  }
  static noCapacity(message: string, details?: unknown): EparaError {
    return new EparaError(503, message, details);
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.details === undefined ? {} : { details: this.details }) } };
  }
}

export const isEparaError = (e: unknown): e is EparaError => e instanceof EparaError;

export function isErrorCode(n: number): n is ErrorCode {
  return (ERROR_CODES as readonly number[]).includes(n);
}

/** Anything that is not an EparaError leaves as a plain 500: internals are logged, not sent. */
export function asEparaError(e: unknown): EparaError {
  if (e instanceof EparaError) return e;
  return new EparaError(500, 'internal error', undefined, { cause: e });
}

/**
 * Seconds a refused caller should wait before retrying (`Retry-After`), from the `retryAfterMs` a 429
 * (how long the queue ahead takes to drain) or a 503 (an outage, a starting app) carries in its
 * details; at least 1, as HTTP counts whole seconds. Undefined for other errors, or when the refusing
 * side could not say.
 */
export function retryAfterSeconds(e: EparaError): number | undefined {
  const ms = (e.details as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  if ((e.code !== 429 && e.code !== 503) || typeof ms !== 'number' || !(ms >= 0)) return undefined;
  return Math.max(1, Math.ceil(ms / 1000));
}

/** Parses an error body received from another app; returns undefined when it is not one. */
export function parseErrorBody(value: unknown): EparaError | undefined {
  const err = (value as ErrorBody | undefined)?.error;
  if (!err || typeof err.message !== 'string' || typeof err.code !== 'number') return undefined;
  return new EparaError(isErrorCode(err.code) ? err.code : 500, err.message, err.details);
}
