import { resolveCommand, run } from './main';

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
      'epara: unknown command "lss" (did you mean "ls"?); commands: deploy, ls, get, rm, patch, invoke, devices, placement, micro, kv, models, sub, events, req',
    ],
    [['kv'], 'epara: `epara kv` needs a subcommand: ls, get, watch'],
    [['kv', 'gett'], 'epara: unknown command "epara kv gett" (did you mean "get"?); kv takes ls, get, watch'],
    [['get'], 'epara: `epara get` needs <fn>'],
    [['ls', 'extra'], 'epara: `epara ls` takes no arguments; unexpected "extra"'],
    [['--count', '1', 'sub', 'x'], 'epara: --count is not a global option: put it after the command (epara <command> --count …)'],
    [['invoke', 'f', '{}', '--over', 'carrier-pigeon'], '--over must be http or nats, got "carrier-pigeon"'],
    [
      ['events', 'exploded'],
      'unknown event kind "exploded": one of deployed, updated, deleted, placed, model-loaded, device-joined, device-lost, recategorized, profiled',
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
});
