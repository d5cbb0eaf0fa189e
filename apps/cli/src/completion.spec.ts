import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OptionKind } from './args';
import { COMMANDS } from './commands';
import { Command, CommandGroup } from './commands/types';
import { completionScript, completionTree, optionValueCompletion, positionalCompletions, SHELLS } from './completion';
import { GLOBAL_OPTIONS } from './help';
import { run } from './main';

const command = (path: string[], extra: Partial<Command> = {}): Command => ({
  path,
  usage: '',
  summary: `the ${path.join(' ')} command`,
  args: { min: 0, max: 0 },
  group: CommandGroup.Functions,
  run: async () => 0,
  ...extra,
});

describe('completion tree, from the command table', () => {
  const table = [
    command(['invoke'], {
      usage: '<fn> [body]',
      options: [
        { name: 'over', kind: OptionKind.String, value: 'http|nats', help: 'transport' },
        { name: 'msgpack', kind: OptionKind.Flag, help: 'msgpack' },
      ],
    }),
    command(['kv', 'ls']),
    command(['kv', 'get'], { usage: '<bucket> <key>' }),
    command(['__complete', 'functions'], { hidden: true }),
  ];
  const tree = completionTree(table, [{ name: 'nats', kind: OptionKind.String, value: 'URL', help: 'server' }]);
  const node = (...path: string[]) => tree.nodes.find((n) => n.path.join(' ') === path.join(' '));

  it('has the root and each group word, with the words that follow them; hidden commands are left out', () => {
    expect(node()?.children).toEqual(['invoke', 'kv']);
    expect(node('kv')?.children).toEqual(['ls', 'get']);
    expect(node('__complete')).toBeUndefined();
  });

  it('gives each command its own options and what their values and positionals complete to; globals and --help apply everywhere', () => {
    expect(node('invoke')?.options).toEqual({
      flags: ['--over', '--msgpack'],
      values: { '--over': { kind: 'words', words: ['http', 'nats'] } },
    });
    expect(node('invoke')?.positionals).toEqual([{ kind: 'functions' }, { kind: 'files' }]);
    expect(node('kv', 'get')?.positionals).toEqual([{ kind: 'none' }, { kind: 'none' }]);
    expect(tree.global).toEqual({ flags: ['--nats', '--help'], values: { '--nats': { kind: 'none' } } });
  });

  it.each([
    ['FILE|-', { kind: 'files' }],
    ['FILE.onnx', { kind: 'files' }],
    ['http|nats', { kind: 'words', words: ['http', 'nats'] }],
    ['MS', { kind: 'none' }],
    ['K:V', { kind: 'none' }],
  ])('an option value shown as %s completes to %j', (value, expected) => {
    expect(optionValueCompletion({ name: 'x', kind: OptionKind.String, value, help: '' })).toEqual(expected);
  });

  it.each([
    ['<fn> <json|@file>', ['functions', 'files']],
    ['<spec.json>', ['files']],
    ['<bash|zsh|fish>', ['words']],
    ['<subject> [payload]', ['none', 'files']],
    ['', []],
  ])('positionals of "%s" complete to %j', (usage, kinds) => {
    expect(positionalCompletions(usage).map((v) => v.kind)).toEqual(kinds);
  });

  it('writes every visible command word and option of the real table into each script', () => {
    for (const shell of SHELLS) {
      const script = completionScript(shell, COMMANDS, GLOBAL_OPTIONS);
      for (const c of COMMANDS.filter((x) => !x.hidden)) {
        for (const word of c.path) expect(script).toContain(word);
        for (const o of c.options ?? []) expect(script).toMatch(shell === 'fish' ? `-l ${o.name}` : `--${o.name}`);
      }
      for (const o of GLOBAL_OPTIONS) expect(script).toMatch(shell === 'fish' ? `-l ${o.name}` : `--${o.name}`);
      expect(script).not.toMatch(/'__complete'/);
    }
  });
});

describe('zsh and fish scripts', () => {
  it('zsh loads the bash functions through bashcompinit', () => {
    const zsh = completionScript('zsh', COMMANDS, GLOBAL_OPTIONS);
    expect(zsh.split('\n')[0]).toBe('#compdef epara');
    expect(zsh).toContain('autoload -U +X bashcompinit && bashcompinit');
    expect(zsh).toContain(completionScript('bash', COMMANDS, GLOBAL_OPTIONS).split('\n').slice(2).join('\n'));
  });

  it('fish is one `complete -c epara` line per word, option and positional, function names from the hidden command', () => {
    const lines = completionScript('fish', COMMANDS, GLOBAL_OPTIONS).trimEnd().split('\n');
    expect(lines.filter((l) => !l.startsWith('#')).every((l) => l.startsWith('complete -c epara'))).toBe(true);
    expect(lines).toContain(
      "complete -c epara -n '__fish_use_subcommand' -a 'deploy' -d 'deploy a function from a spec file, uploading its ONNX model with --model'",
    );
    expect(lines).toContain(
      "complete -c epara -n '__fish_seen_subcommand_from invoke' -f -r -a '(epara __complete functions 2>/dev/null)'",
    );
    expect(lines).toContain(
      "complete -c epara -n '__fish_seen_subcommand_from invoke' -l over -f -r -a 'http nats' -d 'transport (default http, through the gateway)'",
    );
  });
});

/**
 * The generated bash script, sourced in a real bash: `_epara` is called as bash calls it on TAB, with
 * COMP_WORDS and COMP_CWORD, and what it put in COMPREPLY is printed one per line.
 */
describe('the bash script in bash', () => {
  let dir: string;
  let script: string;
  let fakeEpara: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'epara-completion-'));
    script = join(dir, 'epara.bash');
    writeFileSync(script, completionScript('bash', COMMANDS, GLOBAL_OPTIONS));
    writeFileSync(join(dir, 'spec.json'), '{}');
    writeFileSync(join(dir, 'model.onnx'), '');
    // Stands in for `epara __complete functions` against a gateway with two functions deployed.
    fakeEpara = join(dir, 'fake-epara');
    writeFileSync(fakeEpara, '#!/bin/sh\n[ "$1 $2" = "__complete functions" ] && printf "mlp\\nvad\\n"\n');
    chmodSync(fakeEpara, 0o755);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** What bash offers after typing `words` (the last one is the word under the cursor, '' for a new one). */
  function complete(words: string[], exe = 'epara'): string[] {
    const r = spawnSync(
      'bash',
      [
        '-c',
        'source "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _epara "$EXE"; printf "%s\\n" "${COMPREPLY[@]}"',
        script,
        'epara',
        ...words,
      ],
      { cwd: dir, encoding: 'utf8', env: { ...process.env, EXE: exe } },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return r.stdout.split('\n').filter(Boolean);
  }

  it.each([
    [['dep'], ['deploy']],
    [['kv', 'g'], ['get']],
    [['ls', '--js'], ['--json']],
    [['invoke', 'mlp', '--ov'], ['--over']],
    [
      ['invoke', 'mlp', '--over', ''],
      ['http', 'nats'],
    ],
    [['invoke', 'mlp', '--over', '=', 'n'], ['nats']],
    [['--nats', 'nats', 'kv', 'w'], ['watch']],
    [['deploy', 'sp'], ['spec.json']],
    [['deploy', 'spec.json', '--model', 'mo'], ['model.onnx']],
    [
      ['completion', ''],
      ['bash', 'zsh', 'fish'],
    ],
    [['kv', 'get', ''], []],
  ])('epara %j → %j', (words, offered) => {
    expect(complete(words)).toEqual(offered);
  });

  it('offers every command at the first word, and no hidden one', () => {
    expect(complete([''])).toEqual([...new Set(COMMANDS.filter((c) => !c.hidden).map((c) => c.path[0]))]);
  });

  it('asks the epara being completed for function names where a command takes <fn>, and offers nothing when it prints none', () => {
    expect(complete(['invoke', ''], fakeEpara)).toEqual(['mlp', 'vad']);
    expect(complete(['get', 'v'], fakeEpara)).toEqual(['vad']);
    expect(complete(['invoke', ''], '/bin/false')).toEqual([]);
  });
});

describe('epara __complete functions', () => {
  it('prints nothing and exits 0 when no gateway answers (a TAB never shows an error)', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await run(['__complete', 'functions'], {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      env: { EPARA_GATEWAY_URL: 'http://127.0.0.1:1' },
    });
    expect({ code, out, err }).toEqual({ code: 0, out: [], err: [] });
  });
});
