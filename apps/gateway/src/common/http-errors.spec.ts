import { BadRequestException } from '@nestjs/common';
import type { ArgumentsHost } from '@nestjs/common';
import { EparaError } from '@epara/contracts';
import { HttpErrorFilter, toHttpError } from './http-errors';

/** The few Response methods the filter uses, recording what it sent. */
function fakeResponse() {
  const sent: { status?: number; headers: Record<string, string>; body?: string } = { headers: {} };
  const res = {
    setHeader: (k: string, v: string) => ((sent.headers[k] = v), res),
    status: (s: number) => ((sent.status = s), res),
    type: () => res,
    send: (b: string) => ((sent.body = b), res),
    json: (b: unknown) => ((sent.body = JSON.stringify(b)), res),
  };
  return { res, sent };
}

function host(res: unknown): ArgumentsHost {
  return {
    switchToHttp: () => ({ getResponse: () => res, getRequest: () => ({ method: 'POST', url: '/x', headers: {} }) }),
  } as unknown as ArgumentsHost;
}

describe(HttpErrorFilter.name, () => {
  it('answers a shed request 429 with Retry-After (whole seconds) and the JSON error body', () => {
    const { res, sent } = fakeResponse();
    new HttpErrorFilter().catch(EparaError.shed('"f" is overloaded here', { queued: 7, retryAfterMs: 1_500 }), host(res));
    expect(sent.status).toBe(429);
    expect(sent.headers['Retry-After']).toBe('2');
    expect(JSON.parse(sent.body!)).toEqual({
      error: { code: 429, message: '"f" is overloaded here', details: { queued: 7, retryAfterMs: 1_500 } },
    });
  });

  it('sends no Retry-After for other errors', () => {
    const { res, sent } = fakeResponse();
    new HttpErrorFilter().catch(EparaError.badInput('bad'), host(res));
    expect(sent.status).toBe(400);
    expect(sent.headers).toEqual({});
  });

  it('maps Nest HTTP exceptions to the JSON error shape', () => {
    expect(toHttpError(new BadRequestException('nope'))).toMatchObject({ code: 400, message: 'nope' });
  });
});
