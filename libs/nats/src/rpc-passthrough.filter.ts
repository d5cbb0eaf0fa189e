import { ArgumentsHost, Catch, RpcExceptionFilter } from '@nestjs/common';
import { Observable, throwError } from 'rxjs';

/**
 * Nest's default RPC exception handler turns every error into `{status:'error'}` and loses its code.
 * This filter passes the original error on, so NatsTransport can answer it with the right code.
 */
@Catch()
export class RpcPassthroughFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => exception);
  }
}
