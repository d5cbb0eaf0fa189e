import { headers as natsHeaders, Msg, MsgHdrs } from '@nats-io/transport-node';
import { classifyNatsError, NatsFailure } from '@epara/nats/nats-errors';
import { EventKind, Header, subjects } from '@epara/contracts';
import { OptionKind, parseHeaderOption } from '../args';
import { CliError, ExitCode } from '../cli-io';
import { describePayload, payloadJson } from '../format';
import { readBody } from '../input';
import { checkCount, STREAM_OPTIONS, StreamStopper } from './streaming';
import { Command, CommandContext, CommandGroup } from './types';

const DEFAULT_REQUEST_TIMEOUT_MS = 5000;

/** Header name → value (values joined by `, ` when a header repeats). */
export function headerRecord(h: MsgHdrs | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h) return out;
  for (const k of h.keys()) out[k] = h.values(k).join(', ');
  return out;
}

function messageJson(m: Msg): Record<string, unknown> {
  const headers = headerRecord(m.headers);
  return {
    subject: m.subject,
    ...(m.reply ? { reply: m.reply } : {}),
    ...(Object.keys(headers).length ? { headers } : {}),
    size: m.data.byteLength,
    data: payloadJson(m.data, headers[Header.ContentType]),
  };
}

/** Subscribes, prints each message (subject, headers, payload) until --count, --timeout or Ctrl-C. */
async function subscribe(ctx: CommandContext, subject: string): Promise<number> {
  const session = await ctx.nats();
  const count = ctx.opts.int('count');
  const timeoutMs = ctx.opts.int('timeout');
  const sub = session.nc.subscribe(subject, count !== undefined ? { max: count } : {});
  try {
    // The server has the subscription once flush returns: a message published after this line is seen.
    await session.nc.flush();
  } catch (e) {
    throw session.describe(e, subject);
  }
  if (!ctx.json)
    ctx.io.err(`listening on ${subject} at ${session.url}${count !== undefined ? `, stopping after ${count}` : ''} (Ctrl-C to stop)`);
  const stopper = new StreamStopper(() => sub.unsubscribe(), timeoutMs, ctx.io.signal);
  let n = 0;
  try {
    for await (const m of sub) {
      n++;
      if (ctx.json) {
        ctx.printJson(messageJson(m), true);
        continue;
      }
      const headers = headerRecord(m.headers);
      ctx.print(`[#${n}] ${m.subject}${m.reply ? `  reply ${m.reply}` : ''}  (${m.data.byteLength} bytes)`);
      for (const [k, v] of Object.entries(headers)) ctx.print(`${k}: ${v}`);
      ctx.print(describePayload(m.data, headers[Header.ContentType]));
    }
  } catch (e) {
    throw session.describe(e, subject);
  } finally {
    stopper.dispose();
  }
  checkCount('messages', n, count, stopper, timeoutMs);
  return 0;
}

export const subCommand: Command = {
  path: ['sub'],
  usage: '<subject>',
  summary: 'print messages on a subject (wildcards * and > work): subject, headers, payload',
  details: ['JSON payloads are pretty-printed, msgpack decoded, other bytes shown as length + hex prefix.'],
  examples: ["epara sub 'epara.v1.state.*' --count 2", "epara sub 'epara.v1.>'"],
  options: STREAM_OPTIONS,
  args: { min: 1, max: 1 },
  group: CommandGroup.Operators,
  run: (ctx) => subscribe(ctx, ctx.args[0]),
};

const EVENT_KINDS = Object.values(EventKind);

export const eventsCommand: Command = {
  path: ['events'],
  usage: '[kind]',
  summary: `print lifecycle events (epara.v1.events.>), or one kind: ${EVENT_KINDS.join(', ')}`,
  examples: ['epara events', 'epara events deployed --count 1'],
  options: STREAM_OPTIONS,
  args: { min: 0, max: 1 },
  group: CommandGroup.Operators,
  run(ctx) {
    const kind = ctx.args[0];
    if (kind !== undefined && !EVENT_KINDS.includes(kind as EventKind))
      throw new CliError(`unknown event kind "${kind}": one of ${EVENT_KINDS.join(', ')}`, ExitCode.Usage);
    return subscribe(ctx, kind === undefined ? subjects.eventAny : subjects.event(kind as EventKind));
  },
};

export const reqCommand: Command = {
  path: ['req'],
  usage: '<subject> [payload]',
  summary: 'send a raw NATS request and print the reply headers and payload (like `nats req`)',
  details: [
    'The payload comes inline or from --data FILE|-. Content-Type is set from the file extension, or to',
    'application/json when the payload starts with { — unless a --header gives it. A reply with a',
    'Nats-Service-Error-Code header prints `error <code>: <message>` and exits 1.',
  ],
  examples: [`epara req epara.v1.invoke.add '{"inputs":[…]}' --header Epara-Deadline:1735689600000`],
  options: [
    { name: 'data', kind: OptionKind.String, value: 'FILE|-', help: 'payload from a file, or - for stdin' },
    { name: 'header', kind: OptionKind.List, value: 'K:V', help: 'request header (repeatable)' },
    { name: 'timeout', kind: OptionKind.Int, value: 'MS', help: `wait this long for the reply (default ${DEFAULT_REQUEST_TIMEOUT_MS})` },
  ],
  args: { min: 1, max: 2 },
  group: CommandGroup.Operators,
  async run(ctx) {
    const [subject, inline] = ctx.args;
    const body = await readBody(ctx.io, { data: ctx.opts.string('data'), inline });
    const h = natsHeaders();
    if (body.contentType) h.set(Header.ContentType, body.contentType);
    for (const raw of ctx.opts.list('header')) {
      const [k, v] = parseHeaderOption(raw, reqCommand.path);
      h.set(k, v);
    }
    const session = await ctx.nats();
    const timeoutMs = ctx.opts.int('timeout') ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const started = performance.now();
    let reply: Msg;
    try {
      reply = await session.nc.request(subject, body.bytes, { timeout: timeoutMs, headers: h });
    } catch (e) {
      const failure = classifyNatsError(e);
      if (failure === NatsFailure.NoResponders)
        throw new CliError(`no responders on ${subject} at ${session.url}: nothing subscribes to it`, ExitCode.Failed, { cause: e });
      if (failure === NatsFailure.Timeout)
        throw new CliError(`no reply on ${subject} within ${timeoutMs} ms`, ExitCode.Failed, { cause: e });
      throw session.describe(e, subject);
    }
    const ms = performance.now() - started;
    const headers = headerRecord(reply.headers);
    const errorCode = headers[Header.ServiceErrorCode];
    if (ctx.json)
      ctx.printJson({
        subject,
        ms: Number(ms.toFixed(3)),
        ...messageJson(reply),
        ...(errorCode ? { error: { code: Number(errorCode), message: headers[Header.ServiceError] } } : {}),
      });
    else {
      ctx.io.err(`reply on ${subject} in ${ms.toFixed(2)} ms (${reply.data.byteLength} bytes)`);
      for (const [k, v] of Object.entries(headers)) ctx.print(`${k}: ${v}`);
      if (Object.keys(headers).length) ctx.print('');
      ctx.print(describePayload(reply.data, headers[Header.ContentType]));
    }
    if (errorCode) {
      ctx.io.err(`error ${errorCode}: ${headers[Header.ServiceError] || 'service error'}`);
      return ExitCode.Failed;
    }
    return 0;
  },
};
