import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveCommand, resolveGatewayKey, run } from './main';

/** Runs the CLI in-process with no servers around: only what needs none (help, usage errors). */
async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(argv, { out: (s) => out.push(s), err: (s) => err.push(s), env: {} });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe(resolveCommand.name, () => {
  const pathOf = (argv: string[]) => {
    const r = resolveCommand(argv);
    return r.kind === 'command' ? [...r.command.path, '|', ...r.rest] : r.kind;
  };
  it.each([
    [['ls'], ['ls', '|']],
    [
      ['get', 'ls'],
      ['get', '|', 'ls'],
    ], // a function may be called like a command
    [
      ['--json', 'kv', 'get', 'b', 'k'],
      ['kv', 'get', '|', '--json', 'b', 'k'],
    ],
    [
      ['--nats', 'nats://h:1', 'micro', 'info'],
      ['micro', 'info', '|', '--nats', 'nats://h:1'],
    ],
    [
      ['invoke', 'f', '--data', 'x.json'],
      ['invoke', '|', 'f', '--data', 'x.json'],
    ],
    [[], 'help'],
    [['help'], 'help'],
    [['kv', '--help'], 'help'],
  ])('%j → %j', (argv, expected) => expect(pathOf(argv)).toEqual(expected));
});

describe('run without servers', () => {
  it.each([['--version'], ['-V'], ['version']])('%s prints the version, exit 0', async (flag) => {
    const r = await cli(flag);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^epara \d+\.\d+\.\d+ \(node \d+/);
  });

  it('prints help for every command, exit 0', async () => {
    for (const argv of [['--help'], ['help'], ['deploy', '--help'], ['help', 'invoke'], ['kv', 'watch', '-h'], ['micro', '--help']]) {
      const r = await cli(...argv);
      expect({ argv, code: r.code, err: r.err }).toEqual({ argv, code: 0, err: '' });
      expect(r.out).toMatch(/Usage: epara/);
    }
    expect((await cli('help', 'invoke')).out).toContain('--over http|nats');
  });

  it.each([
    [
      ['lss'],
      'epara: unknown command "lss" (did you mean "ls"?); commands: deploy, ls, get, rm, patch, invoke, devices, placement, keys, micro, kv, models, sub, events, req, completion',
    ],
    [['kv'], 'epara: `epara kv` needs a subcommand: ls, get, watch'],
    [['keys'], 'epara: `epara keys` needs a subcommand: create, ls, revoke'],
    [
      ['keys', 'create', '--name', 'x'],
      'epara: --scope is required (repeat for several): admin (everything), read (records, devices, placement, metrics), invoke, or invoke:<pattern> (e.g. invoke:cam-*)',
    ],
    [
      ['keys', 'create', '--name', 'x', '--scope', 'invoke:Cam'],
      'epara: scope "invoke:Cam" is not one of admin, read, invoke, invoke:<pattern> (a pattern is a function name where * stands for any characters, e.g. invoke:cam-*)',
    ],
    [
      ['keys', 'create', '--name', 'x', '--scope', 'read', '--ttl', 'forever'],
      'epara: ttl "forever" is not a duration from 1s to 3660d: give seconds, or a number with s, m, h or d (e.g. "90d")',
    ],
    [['kv', 'gett'], 'epara: unknown command "epara kv gett" (did you mean "get"?); kv takes ls, get, watch'],
    [['get'], 'epara: `epara get` needs <fn>'],
    [['ls', 'extra'], 'epara: `epara ls` takes no arguments; unexpected "extra"'],
    [['--count', '1', 'sub', 'x'], 'epara: --count is not a global option: put it after the command (epara <command> --count …)'],
    [['invoke', 'f', '{}', '--over', 'carrier-pigeon'], '--over must be http or nats, got "carrier-pigeon"'],
    [
      ['events', 'exploded'],
      'unknown event kind "exploded": one of deployed, updated, deleted, placed, model-loaded, model-failed, device-joined, device-lost, device-reconnected, recategorized, profiled',
    ],
    [
      ['ls', '--gateway', 'localhost:8080'],
      'invalid gateway URL "localhost:8080" (from --gateway): expected http://host:port (did you mean http://localhost:8080?)',
    ],
    [['micro', 'ls', '--user', 'ops'], 'epara: --user is set without --password'],
    [['kv', 'ls', '--tlscert', 'client.pem'], 'epara: mutual TLS needs both --tlscert and --tlskey (only --tlscert is set)'],
    [['kv', 'ls', '--nkey', 'a.nk', '--token', 't'], 'epara: set one way of authenticating to NATS, not --nkey and --token'],
  ])('%j → exit 2 and says what is wrong', async (argv, first) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe(first);
    expect(r.out).toBe('');
  });

  it('refuses an EPARA_DEBUG that is not a boolean, exit 2, before running the command', async () => {
    const err: string[] = [];
    const code = await run(['ls'], { out: () => undefined, err: (s) => err.push(s), env: { EPARA_DEBUG: 'verbose' } });
    expect(code).toBe(2);
    expect(err).toEqual(['epara: EPARA_DEBUG must be one of 1/true/on/yes/0/false/off/no (any case)']);
  });
});

describe(resolveGatewayKey.name, () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'epara-cli-key-'));
    mkdirSync(join(dir, '.epara', 'credentials'), { recursive: true });
    writeFileSync(join(dir, '.epara', 'credentials', 'admin.key'), 'epk_from_the_file\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes --api-key, else EPARA_API_KEY, else the key file npm start writes', () => {
    expect(resolveGatewayKey('epk_flag', { EPARA_API_KEY: 'epk_env' }, dir)).toEqual({ key: 'epk_flag', source: '--api-key' });
    expect(resolveGatewayKey(undefined, { EPARA_API_KEY: 'epk_env' }, dir)).toEqual({ key: 'epk_env', source: 'EPARA_API_KEY' });
    expect(resolveGatewayKey(undefined, {}, dir)).toEqual({
      key: 'epk_from_the_file',
      source: join(dir, '.epara', 'credentials', 'admin.key'),
    });
  });

  it('sends none with an empty --api-key, or without a key anywhere', () => {
    expect(resolveGatewayKey('', { EPARA_API_KEY: 'epk_env' }, dir)).toBeUndefined();
    expect(resolveGatewayKey(undefined, {}, undefined)).toBeUndefined();
    expect(resolveGatewayKey(undefined, {}, tmpdir())).toBeUndefined();
  });
});
