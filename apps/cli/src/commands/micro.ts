import { askMicroServices, MicroVerb, ServiceIdentity, ServiceInfo, ServiceStats } from '@epara/nats/services-adapter';
import { OptionKind } from '../args';
import { CliError } from '../cli-io';
import { table } from '../format';
import { NatsSession } from '../nats-session';
import { Command, CommandContext, CommandGroup } from './types';

/** How long to collect answers from services, ms (like `nats micro`). */
const DEFAULT_WAIT_MS = 2000;

const MICRO_OPTIONS = [
  { name: 'timeout', kind: OptionKind.Int, value: 'MS', help: `how long to collect answers (default ${DEFAULT_WAIT_MS})` },
];

/**
 * Asks every instance of the services API ($SRV.<verb>[.<name>[.<id>]]) and collects the answers until
 * they stop coming or the wait ends. Sorted by service name, then device, then id.
 */
async function ask<T extends ServiceIdentity>(
  ctx: CommandContext,
  verb: MicroVerb,
  name?: string,
  id?: string,
): Promise<{ session: NatsSession; answers: T[] }> {
  const session = await ctx.nats();
  const maxWaitMs = ctx.opts.int('timeout') ?? DEFAULT_WAIT_MS;
  let answers: T[];
  try {
    answers = (await askMicroServices(session.nc, verb, { maxWaitMs, name, id })) as T[];
  } catch (e) {
    throw session.describe(e, `$SRV.${verb.toUpperCase()}`);
  }
  answers.sort(
    (a, b) =>
      a.name.localeCompare(b.name) || (a.metadata?.device ?? '').localeCompare(b.metadata?.device ?? '') || a.id.localeCompare(b.id),
  );
  return { session, answers };
}

function noAnswers(session: NatsSession, name: string | undefined, ms: number): CliError {
  return new CliError(
    `no service${name ? ` named "${name}"` : 's'} answered on ${session.url} within ${ms} ms (is a worker running? \`epara micro ls\` lists what answers)`,
  );
}

const metadataLine = (m: Record<string, string> | undefined) =>
  Object.entries(m ?? {})
    .map(([k, v]) => `${k}=${v === '' ? '-' : v}`)
    .join(' ');

export const microLsCommand: Command = {
  path: ['micro', 'ls'],
  usage: '[name]',
  summary: 'list NATS services (epara-worker per device): id, version, device, functions',
  options: MICRO_OPTIONS,
  args: { min: 0, max: 1 },
  group: CommandGroup.Operators,
  async run(ctx) {
    const { session, answers } = await ask<ServiceIdentity>(ctx, 'ping', ctx.args[0]);
    if (ctx.json) {
      ctx.printJson(answers);
      return 0;
    }
    if (answers.length === 0) {
      ctx.io.err(noAnswers(session, ctx.args[0], ctx.opts.int('timeout') ?? DEFAULT_WAIT_MS).message);
      return 0;
    }
    ctx.print(
      table(
        ['name', 'id', 'version', 'device', 'functions'],
        answers.map((a) => [a.name, a.id, a.version, a.metadata?.device ?? '-', a.metadata?.functions || '-']),
      ),
    );
    return 0;
  },
};

/**
 * `micro info` and `micro stats`: ask one verb of every matching service, print JSON or each answer
 * (separated by a blank line); no answer at all is an error.
 */
function describeServices<T extends ServiceIdentity>(
  verb: 'info' | 'stats',
  summary: string,
  printOne: (ctx: CommandContext, s: T) => void,
): Command {
  return {
    path: ['micro', verb],
    usage: '[name] [id]',
    summary,
    examples: [`epara micro ${verb} epara-worker`],
    options: MICRO_OPTIONS,
    args: { min: 0, max: 2 },
    group: CommandGroup.Operators,
    async run(ctx) {
      const [name, id] = ctx.args;
      const { session, answers } = await ask<T>(ctx, verb, name, id);
      if (answers.length === 0) throw noAnswers(session, name, ctx.opts.int('timeout') ?? DEFAULT_WAIT_MS);
      if (ctx.json) {
        ctx.printJson(answers);
        return 0;
      }
      answers.forEach((s, i) => {
        if (i > 0) ctx.print('');
        printOne(ctx, s);
      });
      return 0;
    },
  };
}

export const microInfoCommand = describeServices<ServiceInfo>(
  'info',
  'describe services: metadata (device, slot, provider, functions) and endpoints with subject and queue group',
  (ctx, s) => {
    ctx.print([
      `${s.name} ${s.version}  id ${s.id}`,
      `  description: ${s.description || '-'}`,
      `  metadata:    ${metadataLine(s.metadata) || '-'}`,
    ]);
    if (!s.endpoints?.length) {
      ctx.print('  endpoints:   none');
      return;
    }
    ctx.print('  endpoints:');
    ctx.print(
      table(
        ['name', 'subject', 'queue group'],
        s.endpoints.map((e) => [e.name, e.subject, e.queue_group ?? '-']),
      ).map((l) => `    ${l}`),
    );
  },
);

/** Nanoseconds → `1.234 ms`. */
const nsToMs = (ns: number) => `${(ns / 1e6).toFixed(3)} ms`;

export const microStatsCommand = describeServices<ServiceStats>(
  'stats',
  'per-endpoint request counts, errors and average processing time',
  (ctx, s) => {
    ctx.print(`${s.name} ${s.version}  id ${s.id}${s.metadata?.device ? `  device ${s.metadata.device}` : ''}  started ${s.started}`);
    const eps = s.endpoints ?? [];
    if (eps.length === 0) {
      ctx.print('  no endpoints');
      return;
    }
    ctx.print(
      table(
        ['endpoint', 'subject', 'queue group', 'num_requests', 'num_errors', 'average_processing_time', 'last_error'],
        eps.map((e) => [
          e.name,
          e.subject,
          e.queue_group ?? '-',
          e.num_requests,
          e.num_errors,
          nsToMs(e.average_processing_time),
          e.last_error || '-',
        ]),
      ).map((l) => `  ${l}`),
    );
  },
);
