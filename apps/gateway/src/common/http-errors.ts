import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { EparaError, ErrorBody, ErrorCode, Header, isErrorCode, retryAfterSeconds } from '@epara/contracts';

/** Sent with every 401: how to authenticate (RFC 9110 §11.6.1). */
const WWW_AUTHENTICATE = 'WWW-Authenticate';

/** Maps anything thrown to `{ "error": { code, message, details } }` with the matching HTTP status. */
export function toHttpError(e: unknown): EparaError {
  if (e instanceof EparaError) return e;
  if (e instanceof HttpException) {
    const status = e.getStatus();
    const res = e.getResponse() as string | { message?: string | string[] };
    const message = typeof res === 'string' ? res : Array.isArray(res.message) ? res.message.join('; ') : (res.message ?? e.message);
    if (status === 413) return new EparaError(413, `upload too large: ${message}`);
    return new EparaError((isErrorCode(status) ? status : status >= 500 ? 500 : 400) as ErrorCode, message);
  }
  const err = e as { type?: string; status?: number; message?: string; limit?: number };
  if (err?.type === 'entity.too.large')
    return new EparaError(413, `request body is larger than the limit of ${err.limit} bytes`, { limitBytes: err.limit });
  if (err?.type === 'entity.parse.failed') return EparaError.badInput(`body is not valid JSON: ${err.message}`);
  if (err?.type === 'encoding.unsupported' || err?.type === 'charset.unsupported')
    return EparaError.badInput(err.message ?? 'unsupported encoding');
  return new EparaError(500, 'internal error', undefined, { cause: e });
}

/**
 * Errors on the Open Inference Protocol routes answer in that protocol's shape, `{"error": "<message>"}`,
 * which Triton and KServe clients read (the status code carries the rest); /v1 keeps Epara's richer one.
 */
export const isOpenInferencePath = (path: string) => path === '/v2' || path.startsWith('/v2/');
const isOpenInferenceRoute = (req: Request) => isOpenInferencePath(req.path ?? req.url ?? '');

function send(res: Response, err: EparaError, req?: Request): void {
  const body: ErrorBody | { error: string } = req && isOpenInferenceRoute(req) ? { error: err.message } : err.toBody();
  const retryAfter = retryAfterSeconds(err);
  if (retryAfter !== undefined) res.setHeader(Header.RetryAfter, String(retryAfter));
  if (err.code === 401) res.setHeader(WWW_AUTHENTICATE, 'Bearer realm="epara"');
  res.status(err.code).type('application/json').send(JSON.stringify(body));
}

@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const req = host.switchToHttp().getRequest<Request>();
    if (
      exception instanceof HttpException &&
      typeof exception.getResponse() === 'object' &&
      !('message' in (exception.getResponse() as object))
    ) {
      // A status document (health, readiness): sent as the controller shaped it.
      res.status(exception.getStatus()).json(exception.getResponse());
      return;
    }
    const err = toHttpError(exception);
    if (err.code === 500)
      this.logger.error(
        `${req.method} ${req.url} failed (request ${req.headers['epara-request-id'] ?? '-'}): ${(exception as Error)?.stack ?? String(exception)}`,
      );
    send(res, err, req);
  }
}

/** Express error middleware for errors raised before Nest's router (body parsers). */
export function bodyParserErrors(e: unknown, req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) return next(e);
  send(res, toHttpError(e), req);
}
