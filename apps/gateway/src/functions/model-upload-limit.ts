import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor, PayloadTooLargeException } from '@nestjs/common';
import type { Request } from 'express';
import { catchError, Observable, throwError } from 'rxjs';
import { EparaError } from '@epara/contracts';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';

/** Largest `spec` field of a multipart deploy (a spec is a few hundred bytes). */
export const SPEC_FIELD_BYTES = 1024 * 1024;
/** Text fields a multipart deploy may carry besides the model file (the spec, and one spare). */
const MAX_FIELDS = 2;
/** Boundaries and part headers of a multipart body. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

/** What multer may read of a deploy: one model file up to EPARA_MAX_MODEL_MB, and the spec beside it. */
export function modelUploadLimits(maxModelBytes: number): { fileSize: number; files: number; fields: number; fieldSize: number } {
  // Two files: the model, and the spec when it is sent as a file (curl -F spec=@spec.json).
  return { fileSize: maxModelBytes, files: 2, fields: MAX_FIELDS, fieldSize: SPEC_FIELD_BYTES };
}

const mib = (bytes: number) => `${+(bytes / 1024 / 1024).toFixed(1)} MiB`;

/**
 * The 413 for a model over EPARA_MAX_MODEL_MB: `what` ("the model", "the upload") is `sizeBytes`, or
 * larger than the limit when its size is not known (an upload stopped at the limit that declared none).
 */
export function modelTooLarge(limitBytes: number, what: string, sizeBytes?: number): EparaError {
  const size = sizeBytes === undefined ? 'is larger than' : `is ${sizeBytes} bytes (${mib(sizeBytes)}), over`;
  return new EparaError(
    413,
    `${what} ${size} this gateway's model limit of ${limitBytes} bytes (EPARA_MAX_MODEL_MB=${limitBytes / 1024 / 1024}); nothing was deployed`,
    { limitBytes, ...(sizeBytes !== undefined ? { sizeBytes } : {}) },
  );
}

/**
 * Keeps model uploads within EPARA_MAX_MODEL_MB before they are buffered: a request that declares more
 * than a model at the limit plus its spec is refused before its body is read, and multer (bound after
 * this interceptor, with `modelUploadLimits`) stops a file at the limit; either way a 413 that says the
 * limit and the size.
 */
@Injectable()
export class ModelUploadLimit implements NestInterceptor {
  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<Request>();
    const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
    const limit = this.config.maxModelBytes;
    const multipart = req.is('multipart/form-data') === 'multipart/form-data';
    if (multipart && declared !== undefined && declared > limit + MAX_FIELDS * SPEC_FIELD_BYTES + MULTIPART_OVERHEAD_BYTES)
      throw modelTooLarge(limit, 'the upload', declared);
    // multer's LIMIT_FILE_SIZE arrives as Nest's PayloadTooLargeException: the file passed the limit.
    const tooLarge = () => (declared === undefined ? modelTooLarge(limit, 'the model file') : modelTooLarge(limit, 'the upload', declared));
    return next.handle().pipe(catchError((e: unknown) => throwError(() => (e instanceof PayloadTooLargeException ? tooLarge() : e))));
  }
}
