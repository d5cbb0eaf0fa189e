import type { Request, Response } from 'express';
import { clientRequestHeaders, Header } from '@epara/contracts';
import { toHttpError } from '../common/http-errors';
import { InvokeReply, InvokeRequest } from './invoke.service';

/** Reads an HTTP invocation (raw body, Epara headers) into the transport-neutral request; 400 on a malformed header. */
export function invokeRequestFrom(req: Request): InvokeRequest {
  const body: Uint8Array = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  const h = (name: string) => {
    const v = req.headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  };
  return {
    body,
    contentType: h(Header.ContentType),
    accept: h(Header.Accept),
    requestId: h(Header.RequestId),
    ...clientRequestHeaders(h),
  };
}

export function sendReply(res: Response, reply: InvokeReply): void {
  for (const [k, v] of Object.entries(reply.headers)) res.setHeader(k, v);
  res
    .status(200)
    .type(reply.contentType)
    .send(Buffer.from(reply.body.buffer, reply.body.byteOffset, reply.body.byteLength));
}

/**
 * Answers as server-sent events: `event: token` per token, then `event: end` (or `event: error` with
 * the usual error body). The stream is cancelled when the client goes away.
 */
export async function streamEvents(
  res: Response,
  run: (onEvent: (kind: string, data: unknown) => void, signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableEnded) abort.abort();
  });
  const write = (kind: string, data: unknown) => {
    if (!res.headersSent) {
      res.status(200).setHeader('Content-Type', 'text/event-stream');
      res.setHeader('Cache-Control', 'no-cache');
      res.flushHeaders();
    }
    res.write(`event: ${kind}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  try {
    await run(write, abort.signal);
  } catch (e) {
    if (!res.headersSent) throw e; // nothing sent yet: the normal error reply (status + JSON body)
    write('error', toHttpError(e).toBody());
  }
  res.end();
}
