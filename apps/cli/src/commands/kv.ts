import { KvEntry, KvWatchInclude } from '@nats-io/kv';
import { watchKv } from '@epara/nats/kv-watch';
import { OptionKind } from '../args';
import { CliError } from '../cli-io';
import { describePayload, formatAge, payloadJson, table } from '../format';
import { checkCount, STREAM_OPTIONS, StreamStopper } from './streaming';
import { Command, CommandContext, CommandGroup } from './types';

function entryJson(e: KvEntry): Record<string, unknown> {
  return {
    bucket: e.bucket,
    key: e.key,
    revision: e.revision,
    created: e.created.toISOString(),
    operation: e.operation,
    ...(e.operation === 'PUT' ? { value: payloadJson(e.value) } : {}),
  };
}

async function listBuckets(ctx: CommandContext): Promise<number> {
  const session = await ctx.nats();
  const rows: { bucket: string; values: number; history: number; ttl: number; description: string }[] = [];
  for (const s of await session.kvStatuses())
    rows.push({ bucket: s.bucket, values: s.values, history: s.history, ttl: s.ttl, description: s.description ?? '' });
  rows.sort((a, b) => a.bucket.localeCompare(b.bucket));
  if (ctx.json) ctx.printJson(rows);
  else if (rows.length === 0) ctx.io.err(`no KV buckets on ${session.url}`);
  else
    ctx.print(
      table(
        ['bucket', 'values', 'history', 'ttl', 'description'],
        rows.map((r) => [r.bucket, r.values, r.history, r.ttl ? formatAge(r.ttl) : '-', r.description || '-']),
      ),
    );
  return 0;
}

export const kvLsCommand: Command = {
  path: ['kv', 'ls'],
  usage: '[bucket]',
  summary: 'list KV buckets, or the keys of one bucket',
  examples: ['epara kv ls', 'epara kv ls epara_functions'],
  args: { min: 0, max: 1 },
  group: CommandGroup.Operators,
  async run(ctx) {
    const bucket = ctx.args[0];
    if (bucket === undefined) return listBuckets(ctx);
    const kv = await (await ctx.nats()).kv(bucket);
    const keys: string[] = [];
    for await (const k of await kv.keys()) keys.push(k);
    keys.sort();
    if (ctx.json) ctx.printJson(keys);
    else if (keys.length === 0) ctx.io.err(`bucket ${bucket} has no keys`);
    else ctx.print(keys);
    return 0;
  },
};

export const kvGetCommand: Command = {
  path: ['kv', 'get'],
  usage: '<bucket> <key>',
  summary: 'print the value of a key (JSON pretty-printed)',
  details: ['Prints the value only, so it pipes; --json wraps it with the revision, creation time and operation.'],
  examples: ['epara kv get epara_functions vad', 'epara kv get epara_placement cpu-0'],
  args: { min: 2, max: 2 },
  group: CommandGroup.Operators,
  async run(ctx) {
    const [bucket, key] = ctx.args;
    const kv = await (await ctx.nats()).kv(bucket);
    let e: KvEntry | null;
    try {
      e = await kv.get(key);
    } catch (err) {
      throw new CliError(`cannot read key "${key}" of ${bucket}: ${(err as Error).message}`);
    }
    if (!e) throw new CliError(`no key "${key}" in bucket ${bucket} (\`epara kv ls ${bucket}\` lists the keys)`);
    if (e.operation !== 'PUT')
      throw new CliError(
        `key "${key}" in bucket ${bucket} was deleted (${e.operation} at revision ${e.revision}, ${e.created.toISOString()})`,
      );
    if (ctx.json) ctx.printJson(entryJson(e));
    else ctx.print(describePayload(e.value));
    return 0;
  },
};

export const kvWatchCommand: Command = {
  path: ['kv', 'watch'],
  usage: '<bucket> [key]',
  summary: 'print the current values of a bucket (or one key), then every change',
  details: ['Each entry prints `OP bucket > key  rev N  time`, then its value. --updates-only skips the current values.'],
  examples: ['epara kv watch epara_placement', 'epara kv watch epara_devices cpu-0 --count 3'],
  options: [...STREAM_OPTIONS, { name: 'updates-only', kind: OptionKind.Flag, help: 'only changes made from now on' }],
  args: { min: 1, max: 2 },
  group: CommandGroup.Operators,
  async run(ctx) {
    const [bucket, key] = ctx.args;
    const session = await ctx.nats();
    const kv = await session.kv(bucket);
    const count = ctx.opts.int('count');
    const timeoutMs = ctx.opts.int('timeout');
    const watch = await watchKv(
      kv,
      { key: key ?? '>', include: ctx.opts.flag('updates-only') ? KvWatchInclude.UpdatesOnly : KvWatchInclude.LastValue },
      () => {
        if (!ctx.json) ctx.io.err(`watching ${bucket}${key ? ` > ${key}` : ''} on ${session.url} (Ctrl-C to stop)`);
      },
    );
    const stopper = new StreamStopper(() => watch.stop(), timeoutMs, ctx.io.signal);
    let n = 0;
    try {
      for await (const e of watch.entries) {
        n++;
        if (ctx.json) ctx.printJson(entryJson(e), true);
        else {
          ctx.print(`${e.operation} ${e.bucket} > ${e.key}  rev ${e.revision}  ${e.created.toISOString()}`);
          if (e.operation === 'PUT') ctx.print(describePayload(e.value));
        }
        if (count !== undefined && n >= count) break;
      }
    } finally {
      stopper.dispose();
      watch.stop();
    }
    checkCount('entries', n, count, stopper, timeoutMs);
    return 0;
  },
};
