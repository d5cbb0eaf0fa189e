import { OptionKind, OptionSpec } from './args';
import { Command } from './commands/types';

/**
 * Shell completion scripts, generated from the CLI's own command and option table (COMMANDS and
 * GLOBAL_OPTIONS): a command or option added there completes without touching this file.
 *
 * What completes: command words and subcommands, each command's options plus the global ones, the
 * values of an option or positional whose placeholder lists them (`http|nats`), file names for FILE
 * options and file/JSON/body positionals, and deployed function names for `<fn>` (asked of the gateway
 * through the hidden `epara __complete functions`, which prints nothing when no gateway answers).
 * bash's script is tested in bash; zsh runs the same functions through bashcompinit; fish gets its own
 * `complete` lines (neither shell is on the test machines).
 */

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/** The hidden command the scripts call for function names. */
export const COMPLETE_FUNCTIONS = ['__complete', 'functions'];

/** What a value (of an option, or a positional) completes to. */
export type ValueCompletion = { kind: 'files' } | { kind: 'functions' } | { kind: 'words'; words: string[] } | { kind: 'none' };

/** The options of one command, or the global ones: `--name` of each, and what the value-taking ones complete to. */
export interface OptionCompletions {
  flags: string[];
  values: Record<string, ValueCompletion>;
}

/** One node of the command tree: a command path, or the root (`[]`). */
export interface CompletionNode {
  path: string[];
  /** The words that may follow (subcommands); empty for a complete command. */
  children: string[];
  /** The command's own options (the global ones apply everywhere besides). */
  options: OptionCompletions;
  /** What each positional argument completes to, in order (the last one repeats). */
  positionals: ValueCompletion[];
}

export interface CompletionTree {
  nodes: CompletionNode[];
  global: OptionCompletions;
}

/** `a|b|c`: a placeholder that lists the words it takes. */
const WORD_LIST = /^[a-z0-9-]+(\|[a-z0-9-]+)+$/;

/** What an option's value completes to, from its placeholder: `http|nats` lists them, FILE… means files. */
export function optionValueCompletion(o: OptionSpec): ValueCompletion {
  const placeholder = o.value ?? '';
  if (/FILE/.test(placeholder)) return { kind: 'files' };
  if (WORD_LIST.test(placeholder)) return { kind: 'words', words: placeholder.split('|') };
  return { kind: 'none' };
}

/**
 * What each positional in a usage line completes to: `<fn>` a deployed function, `<bash|zsh>` those
 * words, a file, JSON or body (`<spec.json>`, `<json|@file>`, `[body]`) a file name, anything else
 * (`<bucket>`, `<id>`) nothing.
 */
export function positionalCompletions(usage: string): ValueCompletion[] {
  const names = [...usage.matchAll(/[<[]([^>\]]+)[>\]]/g)].map((m) => m[1]);
  return names.map((n): ValueCompletion => {
    if (n === 'fn') return { kind: 'functions' };
    if (WORD_LIST.test(n)) return { kind: 'words', words: n.split('|') };
    return /file|json|body|payload/i.test(n) ? { kind: 'files' } : { kind: 'none' };
  });
}

function optionCompletions(specs: readonly OptionSpec[]): OptionCompletions {
  return {
    flags: specs.map((o) => `--${o.name}`),
    values: Object.fromEntries(specs.filter((o) => o.kind !== OptionKind.Flag).map((o) => [`--${o.name}`, optionValueCompletion(o)])),
  };
}

const HELP: OptionSpec = { name: 'help', kind: OptionKind.Flag, help: 'show help' };

/** The command tree as the scripts walk it: the root, each group word (`kv`) and each command. */
export function completionTree(commands: readonly Command[], globalOptions: readonly OptionSpec[]): CompletionTree {
  const visible = commands.filter((c) => !c.hidden);
  const under = (path: string[]) => visible.filter((c) => c.path.length > path.length && path.every((w, i) => c.path[i] === w));
  const groups = new Map<string, string[]>();
  for (const c of visible) for (let i = 0; i < c.path.length; i++) groups.set(c.path.slice(0, i).join(' '), c.path.slice(0, i));
  const nodes: CompletionNode[] = [
    ...[...groups.values()].map((path) => ({
      path,
      children: [...new Set(under(path).map((c) => c.path[path.length]))],
      options: optionCompletions([]),
      positionals: [],
    })),
    ...visible.map((c) => ({
      path: c.path,
      children: [],
      options: optionCompletions(c.options ?? []),
      positionals: positionalCompletions(c.usage),
    })),
  ];
  return { nodes, global: optionCompletions([...globalOptions, HELP]) };
}

/** A word in single quotes for sh (fish reads the same quoting). */
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * A completion in bash terms: the shell code that fills COMPREPLY for `$cur`. The helpers get the
 * command as typed (`epara`, or a path to it) as their third argument, to ask it for function names.
 */
function bashReply(v: ValueCompletion): string {
  switch (v.kind) {
    case 'files':
      return 'compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur"))';
    case 'functions':
      return `COMPREPLY=($(compgen -W "$("$3" ${COMPLETE_FUNCTIONS.join(' ')} 2>/dev/null)" -- "$cur"))`;
    case 'words':
      return `COMPREPLY=($(compgen -W ${quote(v.words.join(' '))} -- "$cur"))`;
    case 'none':
      return 'COMPREPLY=()';
  }
}

/** The value-taking options whose value completes to something. */
const completing = (values: Record<string, ValueCompletion>) => Object.entries(values).filter(([, v]) => v.kind !== 'none');

/**
 * The bash functions: `_epara` walks the words before the cursor down the command tree (skipping
 * options and their values), then offers the node's subcommands, options, an option's value or a
 * positional. A node's own options come first; the global ones apply under every node.
 */
function bashFunctions(tree: CompletionTree): string[] {
  const key = (path: string[]) => quote(path.join(' '));
  const valueFlags = (o: OptionCompletions) => Object.keys(o.values).join(' ');
  const withOwnOptions = tree.nodes.filter((n) => n.options.flags.length);
  return [
    '_epara() {',
    '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="" node="" word i npos=0',
    '  (( COMP_CWORD > 0 )) && prev="${COMP_WORDS[COMP_CWORD-1]}"',
    // bash splits --name=value at "=" (COMP_WORDBREAKS): `--over=<TAB>` has "=" as the word before.
    '  [[ "$prev" == "=" ]] && (( COMP_CWORD > 1 )) && prev="${COMP_WORDS[COMP_CWORD-2]}"',
    '  for (( i = 1; i < COMP_CWORD; i++ )); do',
    '    word="${COMP_WORDS[i]}"',
    '    case "$word" in',
    '      --*=*) ;;',
    '      -*) if _epara_takes_value "$node" "$word"; then [[ "${COMP_WORDS[i+1]}" == "=" ]] && (( i++ )); (( i++ )); fi ;;',
    '      *) if _epara_is_child "$node" "$word"; then node="${node:+$node }$word"; else (( npos++ )); fi ;;',
    '    esac',
    '  done',
    '  if [[ "$prev" == --* ]] && _epara_takes_value "$node" "$prev"; then',
    '    _epara_value "$node" "$prev" "$1"; return',
    '  fi',
    '  if [[ "$cur" == -* ]]; then',
    '    COMPREPLY=($(compgen -W "$(_epara_flags "$node")" -- "$cur")); return',
    '  fi',
    '  local children; children="$(_epara_children "$node")"',
    '  if [[ -n "$children" ]]; then',
    '    COMPREPLY=($(compgen -W "$children" -- "$cur")); return',
    '  fi',
    '  _epara_positional "$node" "$npos" "$1"',
    '}',
    '_epara_is_child() { [[ " $(_epara_children "$1") " == *" $2 "* ]]; }',
    '_epara_children() {',
    '  case "$1" in',
    ...tree.nodes.filter((n) => n.children.length).map((n) => `    ${key(n.path)}) echo ${quote(n.children.join(' '))} ;;`),
    '  esac',
    '}',
    '_epara_flags() {',
    '  case "$1" in',
    ...withOwnOptions.map((n) => `    ${key(n.path)}) echo -n ${quote(`${n.options.flags.join(' ')} `)} ;;`),
    '  esac',
    `  echo ${quote(tree.global.flags.join(' '))}`,
    '}',
    '_epara_takes_value() {',
    `  [[ " ${valueFlags(tree.global)} " == *" $2 "* ]] && return 0`,
    '  case "$1" in',
    ...withOwnOptions
      .filter((n) => valueFlags(n.options))
      .map((n) => `    ${key(n.path)}) [[ " ${valueFlags(n.options)} " == *" $2 "* ]] ;;`),
    '    *) return 1 ;;',
    '  esac',
    '}',
    '_epara_value() {',
    '  local cur="${COMP_WORDS[COMP_CWORD]}"',
    '  case "$1|$2" in',
    ...tree.nodes.flatMap((n) =>
      completing(n.options.values).map(([flag, v]) => `    ${quote(`${n.path.join(' ')}|${flag}`)}) ${bashReply(v)} ;;`),
    ),
    ...completing(tree.global.values).map(([flag, v]) => `    *${quote(`|${flag}`)}) ${bashReply(v)} ;;`),
    '    *) COMPREPLY=() ;;',
    '  esac',
    '}',
    '_epara_positional() {',
    '  local cur="${COMP_WORDS[COMP_CWORD]}"',
    '  case "$1" in',
    ...tree.nodes
      .filter((n) => n.positionals.some((v) => v.kind !== 'none'))
      .map((n) => {
        // The last positional's completion repeats (`*`); earlier ones are listed where they differ from it.
        const last = n.positionals[n.positionals.length - 1];
        const cases = n.positionals
          .map((v, i) => [i === n.positionals.length - 1 ? '*' : String(i), v] as const)
          .filter(([at, v]) => at === '*' || bashReply(v) !== bashReply(last))
          .map(([at, v]) => `${at}) ${bashReply(v)} ;;`);
        return `    ${key(n.path)}) case "$2" in ${cases.join(' ')} esac ;;`;
      }),
    '    *) COMPREPLY=() ;;',
    '  esac',
    '}',
    'complete -F _epara epara',
  ];
}

export function bashScript(tree: CompletionTree): string {
  return [
    '# bash completion for epara, generated by `epara completion bash` from its command table.',
    '# Load it now: source <(epara completion bash); for good: epara completion bash > ~/.local/share/bash-completion/completions/epara',
    ...bashFunctions(tree),
    '',
  ].join('\n');
}

/** zsh runs the bash functions through bashcompinit, so both shells complete from the same generated code. */
export function zshScript(tree: CompletionTree): string {
  return [
    '#compdef epara',
    '# zsh completion for epara, generated by `epara completion zsh`: the bash completion through bashcompinit.',
    '# Load it now: source <(epara completion zsh); for good: add that line to ~/.zshrc',
    '(( $+functions[compdef] )) || { autoload -U +X compinit && compinit; }',
    'autoload -U +X bashcompinit && bashcompinit',
    ...bashFunctions(tree),
    '',
  ].join('\n');
}

/**
 * A fish condition: the command line holds the words of `path` (fish has no tree walk of its own, so
 * `get` and `kv get` share their options).
 */
function fishCondition(path: string[]): string {
  if (path.length === 0) return '__fish_use_subcommand';
  return path.map((w) => `__fish_seen_subcommand_from ${w}`).join('; and ');
}

function fishValue(v: ValueCompletion | undefined): string {
  switch (v?.kind) {
    case undefined:
      return '';
    case 'files':
      return ' -F -r';
    case 'functions':
      return ` -f -r -a ${quote(`(epara ${COMPLETE_FUNCTIONS.join(' ')} 2>/dev/null)`)}`;
    case 'words':
      return ` -f -r -a ${quote(v.words.join(' '))}`;
    case 'none':
      return ' -f -r';
  }
}

/** The fish script: one `complete` line per subcommand, option and positional. */
export function fishScript(tree: CompletionTree, summaries: ReadonlyMap<string, string>, help: ReadonlyMap<string, string>): string {
  const desc = (text: string | undefined) => (text ? ` -d ${quote(text)}` : '');
  const option = (cond: string, flag: string, v: ValueCompletion | undefined) =>
    `complete -c epara${cond} -l ${flag.slice(2)}${fishValue(v)}${desc(help.get(flag))}`;
  const lines = [
    '# fish completion for epara, generated by `epara completion fish` from its command table.',
    '# Load it now: epara completion fish | source; for good: epara completion fish > ~/.config/fish/completions/epara.fish',
    'complete -c epara -f',
    ...tree.global.flags.map((flag) => option('', flag, tree.global.values[flag])),
  ];
  for (const n of tree.nodes) {
    const cond = ` -n ${quote(fishCondition(n.path))}`;
    for (const child of n.children) {
      const notYet = n.path.length ? ` -n ${quote(`not __fish_seen_subcommand_from ${n.children.join(' ')}`)}` : '';
      lines.push(`complete -c epara${cond}${notYet} -a ${quote(child)}${desc(summaries.get([...n.path, child].join(' ')))}`);
    }
    for (const flag of n.options.flags) lines.push(option(cond, flag, n.options.values[flag]));
    const first = n.positionals[0];
    if (first?.kind === 'functions') lines.push(`complete -c epara${cond}${fishValue(first)}`);
    else if (first?.kind === 'files') lines.push(`complete -c epara${cond} -F`);
  }
  return `${lines.join('\n')}\n`;
}

/** `epara completion <shell>`: the script for that shell, from the given command table. */
export function completionScript(shell: Shell, commands: readonly Command[], globalOptions: readonly OptionSpec[]): string {
  const tree = completionTree(commands, globalOptions);
  if (shell === 'bash') return bashScript(tree);
  if (shell === 'zsh') return zshScript(tree);
  const summaries = new Map(commands.map((c) => [c.path.join(' '), c.summary]));
  const help = new Map([...globalOptions, ...commands.flatMap((c) => c.options ?? [])].map((o) => [`--${o.name}`, o.help]));
  return fishScript(tree, summaries, help);
}
