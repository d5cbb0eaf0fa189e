import type { Request, Response } from 'express';
import { Header } from '@epara/contracts';
import { InvokeReply, InvokeRequest } from './invoke.service';

/** Reads an HTTP invocation (raw body, Epara headers) into the transport-neutral request. */
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
    deadlineEpochMs: Number(h(Header.Deadline)) || undefined,
    requestId: h(Header.RequestId),
    priority: h(Header.Priority),
  };
}

export function sendReply(res: Response, reply: InvokeReply): void {
  for (const [k, v] of Object.entries(reply.headers)) res.setHeader(k, v);
  res.status(200).type(reply.contentType).send(Buffer.from(reply.body.buffer, reply.body.byteOffset, reply.body.byteLength));
}
