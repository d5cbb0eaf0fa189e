import { headers as natsHeaders, MsgHdrs } from '@nats-io/transport-node';
import { classifyNatsError, NatsFailure } from '@epara/nats/nats-errors';
import {
  decodeInvocation,
  decodeResultTensors,
  encodeTensorsMsgpack,
  Header,
  isMsgpack,
  MediaType,
  SERVING_HEADERS,
  subjects,
} from '@epara/contracts';
import { OptionKind, parseHeaderOption } from '../args';
import { CliError, ExitCode } from '../cli-io';
import { decodePayload, describePayload, payloadJson, tensorsJson, tensorTable } from '../format';
import { errorReplyMessage } from '../gateway-client';
import { readBody } from '../input';
import { Command, CommandContext, CommandGroup } from './types';

const DEFAULT_TIMEOUT_MS = 30_000;

export const Transport = { Http: 'http', Nats: 'nats' } as const;
export type Transport = (typeof Transport)[keyof typeof Transport];

interface InvokeReply {
  transport: Transport;
  /** HTTP status; 200 for a NATS reply without an error header. */
  status: number;
  contentType?: string;
  /** Serving headers present on the reply, by their canonical spelling. */
  headers: Record<string, string>;
  body: Uint8Array;
}

/** JSON tensors → msgpack with raw bytes, for `--msgpack` (the same tensors, a smaller body). */
function toMsgpack(body: Uint8Array, contentType: string | undefined): Uint8Array {
  const inv = decodeInvocation(body, contentType);
  if (inv.type !== 'tensors') return body;
  return encodeTensorsMsgpack(inv.inputs, inv.id);
}

async function overHttp(
  ctx: CommandContext,
  fn: string,
  body: Uint8Array,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<InvokeReply> {
  const gateway = ctx.gateway();
  const r = await gateway.send(`/v1/functions/${encodeURIComponent(fn)}/invoke`, { method: 'POST', headers, body, timeoutMs });
  if (!r.ok) throw gateway.failure(r);
  const serving: Record<string, string> = {};
  for (const h of SERVING_HEADERS) {
    const v = r.headers.get(h);
    if (v !== null) serving[h] = v;
  }
  return { transport: Transport.Http, status: r.status, contentType: r.contentType, headers: serving, body: r.body };
}

async function overNats(
  ctx: CommandContext,
  fn: string,
  body: Uint8Array,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<InvokeReply> {
  const session = await ctx.nats();
  const subject = subjects.invoke(fn);
  const h: MsgHdrs = natsHeaders();
  for (const [k, v] of Object.entries(headers)) h.set(k, v);
  let reply;
  try {
    reply = await session.nc.request(subject, body, { timeout: timeoutMs, headers: h });
  } catch (e) {
    const failure = classifyNatsError(e);
    if (failure === NatsFailure.NoResponders)
      throw new CliError(
        `no gateway answers ${subject} at ${session.url} (queue group epara-gateway) — is \`npm start\` running?`,
        ExitCode.Failed,
        { cause: e },
      );
    if (failure === NatsFailure.Timeout)
      throw new CliError(`no reply on ${subject} within ${timeoutMs} ms (raise --timeout, or check \`epara devices\`)`, ExitCode.Failed, {
        cause: e,
      });
    throw session.describe(e, subject);
  }
  const errorCode = reply.headers?.get(Header.ServiceErrorCode);
  if (errorCode) {
    const message = reply.headers?.get(Header.ServiceError) || undefined;
    const fromBody = errorReplyMessage(Number(errorCode), Buffer.from(reply.data));
    throw new CliError(message ? `error ${errorCode}: ${message}` : fromBody);
  }
  const serving: Record<string, string> = {};
  for (const k of SERVING_HEADERS) {
    const v = reply.headers?.get(k);
    if (v) serving[k] = v;
  }
  return {
    transport: Transport.Nats,
    status: 200,
    contentType: reply.headers?.get(Header.ContentType) || undefined,
    headers: serving,
    body: reply.data,
  };
}

/** Tensors from a reply in the Open Inference Protocol layout, or undefined for documents (boxes, text). */
function replyTensors(reply: InvokeReply) {
  const d = decodePayload(reply.body, reply.contentType);
  if (
    (d.as !== 'json' && d.as !== 'msgpack') ||
    !d.value ||
    typeof d.value !== 'object' ||
    !Array.isArray((d.value as { outputs?: unknown }).outputs)
  )
    return undefined;
  try {
    return decodeResultTensors(reply.body, isMsgpack(reply.contentType) ? MediaType.Msgpack : MediaType.Json);
  } catch {
    return undefined;
  }
}

export const invokeCommand: Command = {
  path: ['invoke'],
  usage: '<fn> [body]',
  summary: 'invoke a function over HTTP or NATS and print the reply and how it was served',
  details: [
    'The body comes inline, from --data FILE or from stdin (--data -). Its Content-Type follows the file',
    'extension (.json, .msgpack, .png, .jpg, .webp), else JSON when it starts with { — or set --content-type.',
    'The reply goes to stdout (JSON pretty-printed; msgpack tensors as name, datatype, shape, first values);',
    'the serving headers (Epara-Device, Epara-Batch-Size, Epara-Queue-Ms, Epara-Exec-Ms, Epara-Mode) go to',
    'stderr, so `> out.json` keeps only the reply. --msgpack sends JSON tensors as msgpack with raw bytes and',
    'asks for a msgpack reply. --over nats sends a NATS request to epara.v1.invoke.<fn> as an IoT producer',
    'would. An error reply prints `error <code>: <message>` and exits 1.',
  ],
  examples: [
    `epara invoke add '{"inputs":[{"name":"a","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]},{"name":"b","shape":[1,4],"datatype":"FP32","data":[1,1,1,1]}]}'`,
    'epara invoke ocr-det --data test/fixtures/text-2-lines.png',
    'epara invoke mlp --data x.json --over nats --msgpack',
  ],
  options: [
    { name: 'data', kind: OptionKind.String, value: 'FILE|-', help: 'body from a file, or - for stdin' },
    { name: 'content-type', kind: OptionKind.String, value: 'TYPE', help: 'Content-Type of the body (default: from the extension)' },
    { name: 'over', kind: OptionKind.String, value: 'http|nats', help: 'transport (default http, through the gateway)' },
    { name: 'msgpack', kind: OptionKind.Flag, help: 'send tensors as msgpack and ask for a msgpack reply' },
    { name: 'header', kind: OptionKind.List, value: 'K:V', help: 'extra request header, e.g. Epara-Deadline:<epoch ms> (repeatable)' },
    { name: 'timeout', kind: OptionKind.Int, value: 'MS', help: `give up after this many ms (default ${DEFAULT_TIMEOUT_MS})` },
  ],
  args: { min: 1, max: 2 },
  group: CommandGroup.Functions,
  async run(ctx) {
    const [fn, inline] = ctx.args;
    const over = ctx.opts.string('over') ?? Transport.Http;
    if (over !== Transport.Http && over !== Transport.Nats)
      throw new CliError(`--over must be http or nats, got "${over}"`, ExitCode.Usage);
    const input = await readBody(ctx.io, { data: ctx.opts.string('data'), inline });
    if (input.bytes.byteLength === 0)
      throw new CliError('no request body: give it inline, with --data FILE, or --data - for stdin', ExitCode.Usage);
    let contentType = ctx.opts.string('content-type') ?? input.contentType ?? MediaType.OctetStream;
    let body = input.bytes;
    const headers: Record<string, string> = {};
    if (ctx.opts.flag('msgpack')) {
      if (!isMsgpack(contentType) && decodePayload(body, contentType).as === 'json') {
        body = toMsgpack(body, MediaType.Json);
        contentType = MediaType.Msgpack;
      }
      headers[Header.Accept] = MediaType.Msgpack;
    }
    headers[Header.ContentType] = contentType;
    for (const raw of ctx.opts.list('header')) {
      const [k, v] = parseHeaderOption(raw, invokeCommand.path);
      headers[k] = v;
    }
    const timeoutMs = ctx.opts.int('timeout') ?? DEFAULT_TIMEOUT_MS;
    const reply =
      over === Transport.Nats ? await overNats(ctx, fn, body, headers, timeoutMs) : await overHttp(ctx, fn, body, headers, timeoutMs);
    const tensors = replyTensors(reply);
    if (ctx.json) {
      ctx.printJson({
        function: fn,
        transport: reply.transport,
        status: reply.status,
        contentType: reply.contentType,
        headers: reply.headers,
        body: tensors && isMsgpack(reply.contentType) ? { outputs: tensorsJson(tensors) } : payloadJson(reply.body, reply.contentType),
      });
      return 0;
    }
    for (const [k, v] of Object.entries(reply.headers)) ctx.io.err(`${k}: ${v}`);
    if (tensors && isMsgpack(reply.contentType)) ctx.print(tensorTable(tensors));
    else ctx.print(describePayload(reply.body, reply.contentType));
    return 0;
  },
};
