import { Bucket, ObjectBucket } from '@epara/contracts';
// Deep import: the CLI stays clear of the Nest half of @epara/nats.
import { FunctionReader } from '@epara/nats/repositories/function-repository';
import { formatBytes, table } from '../format';
import { NatsSession } from '../nats-session';
import { Command, CommandGroup } from './types';

/** sha256 → names of the functions whose record points at it, as its model or a stage's (empty when the bucket is missing). */
async function functionsBySha(session: NatsSession): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const kv = await session.kv(Bucket.Functions).catch(() => undefined);
  if (!kv) return out;
  // A record that is not JSON is not a function of ours, and is left out.
  for (const r of await new FunctionReader(kv).all()) {
    // A pp function's stages and an ocr function's three models are artifacts of their own.
    for (const sha of new Set([r.model.sha256, ...(r.model.stages ?? []).map((st) => st.sha256)]))
      out.set(sha, [...(out.get(sha) ?? []), r.name]);
  }
  return out;
}

export const modelsLsCommand: Command = {
  path: ['models', 'ls'],
  usage: '',
  summary: `list model artifacts in the object store ${ObjectBucket.Models}: sha256 name, size, functions using it`,
  args: { min: 0, max: 0 },
  group: CommandGroup.Operators,
  async run(ctx) {
    const session = await ctx.nats();
    const os = await session.objectStore(ObjectBucket.Models);
    const objects = (await os.list()).filter((o) => !o.deleted).sort((a, b) => a.name.localeCompare(b.name));
    const users = await functionsBySha(session);
    const rows = objects.map((o) => ({ name: o.name, size: o.size, modified: o.mtime, functions: users.get(o.name) ?? [] }));
    if (ctx.json) ctx.printJson(rows);
    else if (rows.length === 0) ctx.io.err(`no models in ${ObjectBucket.Models}`);
    else
      ctx.print(
        table(
          ['name (sha256)', 'size', 'modified', 'functions'],
          rows.map((r) => [r.name, formatBytes(r.size), r.modified, r.functions.sort().join(',') || '-']),
        ),
      );
    return 0;
  },
};
