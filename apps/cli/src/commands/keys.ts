import { ApiKeyView, CreatedApiKey, isEparaError, parseScope, parseTtl } from '@epara/contracts';
import { OptionKind } from '../args';
import { UsageError } from '../cli-io';
import { table } from '../format';
import { Command, CommandGroup } from './types';

const SCOPES_HELP = 'admin (everything), read (records, devices, placement, metrics), invoke, or invoke:<pattern> (e.g. invoke:cam-*)';

/** Runs a contracts parser on a command-line value; its 400 becomes a usage error for that command. */
function checked<T>(parse: () => T, command: string[]): T {
  try {
    return parse();
  } catch (e) {
    if (isEparaError(e)) throw new UsageError(e.message, command);
    throw e;
  }
}

const CREATE_PATH = ['keys', 'create'];

export const keysCreateCommand: Command = {
  path: CREATE_PATH,
  usage: '',
  summary: 'create a gateway API key with scopes; prints the key (shown this once) on stdout',
  details: [
    `Scopes: ${SCOPES_HELP}. Repeat --scope for several.`,
    'Only the SHA-256 of the key is stored: keep the printed key (e.g. redirect it to a file); it cannot be shown again.',
    'Rotate a key by creating a new one, switching its users to it, then `epara keys revoke <old id>`.',
  ],
  examples: [
    'epara keys create --name dashboard --scope read',
    'epara keys create --name camera-fleet --scope invoke:cam-* --ttl 90d > cam.key',
  ],
  options: [
    { name: 'name', kind: OptionKind.String, value: 'NAME', help: 'who or what uses the key (shown by `keys ls`)' },
    { name: 'scope', kind: OptionKind.List, value: 'SCOPE', help: 'a scope the key holds; repeat for several' },
    { name: 'ttl', kind: OptionKind.String, value: 'DURATION', help: 'lifetime: 3600 (seconds), 30m, 12h, 90d; default until revoked' },
  ],
  args: { min: 0, max: 0 },
  group: CommandGroup.Functions,
  async run(ctx) {
    const path = CREATE_PATH;
    const name = ctx.opts.string('name');
    const scopes = ctx.opts.list('scope');
    if (!name) throw new UsageError('--name is required: who or what uses the key', path);
    if (scopes.length === 0) throw new UsageError(`--scope is required (repeat for several): ${SCOPES_HELP}`, path);
    scopes.forEach((s) => checked(() => parseScope(s), path));
    const ttl = ctx.opts.string('ttl');
    if (ttl !== undefined) checked(() => parseTtl(ttl), path);
    const created = await ctx.gateway().json<CreatedApiKey>('/v1/keys', {
      method: 'POST',
      json: { name, scopes, ...(ttl === undefined ? {} : { ttl }) },
    });
    if (ctx.json) {
      ctx.printJson(created);
      return 0;
    }
    ctx.io.err(
      `created API key ${created.id} ("${created.name}"), scopes ${created.scopes.join(', ')}, ${created.expiresAt ? `expires ${created.expiresAt}` : 'valid until revoked'}`,
    );
    ctx.io.err('the key is shown this once; send it as `Authorization: Bearer <key>`:');
    ctx.print(created.key);
    return 0;
  },
};

export const keysLsCommand: Command = {
  path: ['keys', 'ls'],
  usage: '',
  summary: 'list gateway API keys: id, name, scopes, created, expiry (never the keys)',
  args: { min: 0, max: 0 },
  group: CommandGroup.Functions,
  async run(ctx) {
    const { keys } = await ctx.gateway().json<{ keys: ApiKeyView[] }>('/v1/keys');
    if (ctx.json) {
      ctx.printJson(keys);
      return 0;
    }
    if (keys.length === 0) {
      ctx.io.err('no API keys stored (EPARA_ADMIN_KEY is not one: it lives in the gateway environment); `epara keys create` adds one');
      return 0;
    }
    ctx.print(
      table(
        ['id', 'name', 'scopes', 'created', 'expires'],
        keys.map((k) => [k.id, k.name, k.scopes.join(','), k.createdAt, k.expired ? `EXPIRED ${k.expiresAt}` : (k.expiresAt ?? 'never')]),
      ),
    );
    return 0;
  },
};

export const keysRevokeCommand: Command = {
  path: ['keys', 'revoke'],
  usage: '<id>',
  summary: 'revoke a gateway API key: every gateway refuses it from then on',
  examples: ['epara keys revoke 3f9a2c71'],
  args: { min: 1, max: 1 },
  group: CommandGroup.Functions,
  async run(ctx) {
    const id = ctx.args[0];
    await ctx.gateway().json<void>(`/v1/keys/${encodeURIComponent(id)}`, { method: 'DELETE' });
    if (ctx.json) ctx.printJson({ revoked: id });
    else ctx.print(`revoked ${id}`);
    return 0;
  },
};
