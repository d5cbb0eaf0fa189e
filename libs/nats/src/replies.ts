import { headers as natsHeaders, Msg, MsgHdrs } from '@nats-io/transport-node';
import { asEparaError, EparaError, ErrorCode, Header, isErrorCode, MediaType, parseErrorBody, retryAfterSeconds } from '@epara/contracts';
import { decodeJson, encodeJson } from './codec/json-codec';

/** Headers of an error reply per the NATS services convention, plus Content-Type of the JSON body. */
export function errorHeaders(err: EparaError, requestId?: string): MsgHdrs {
  const h = natsHeaders();
  h.set(Header.ServiceError, err.message.replace(/[\r\n]+/g, ' ').slice(0, 512));
  h.set(Header.ServiceErrorCode, String(err.code));
  h.set(Header.ContentType, MediaType.Json);
  if (requestId) h.set(Header.RequestId, requestId);
  const retryAfter = retryAfterSeconds(err);
  if (retryAfter !== undefined) h.set(Header.RetryAfter, String(retryAfter));
  return h;
}

export function errorPayload(err: EparaError): Uint8Array {
  return encodeJson(err.toBody());
}

/** Answers a request with an error; anything but EparaError becomes a plain 500. No-op without a reply subject. */
export function respondError(msg: Msg, e: unknown, requestId?: string): EparaError {
  const err = asEparaError(e);
  if (msg.reply) msg.respond(errorPayload(err), { headers: errorHeaders(err, requestId) });
  return err;
}

/** Reads a reply: an EparaError when it carries `Nats-Service-Error-Code`, else undefined. */
export function replyError(msg: Msg): EparaError | undefined {
  const codeText = msg.headers?.get(Header.ServiceErrorCode);
  if (!codeText) return undefined;
  const code = Number(codeText);
  let body: unknown;
  try {
    body = decodeJson(msg.data, `error reply on ${msg.subject}`);
  } catch {
    body = undefined;
  }
  const parsed = parseErrorBody(body);
  if (parsed) return parsed;
  return new EparaError((isErrorCode(code) ? code : 500) as ErrorCode, msg.headers?.get(Header.ServiceError) || 'error reply');
}
