import { UsageError } from '../cli-io';
import { COMPLETE_FUNCTIONS, completionScript, Shell, SHELLS } from '../completion';
import { GLOBAL_OPTIONS } from '../help';
import { COMMANDS } from './index';
import { Command, CommandGroup } from './types';

/** `__complete functions` gives up this soon: a TAB must not hang on an unreachable gateway. */
const FUNCTION_NAMES_TIMEOUT_MS = 1500;

export const completionCommand: Command = {
  path: ['completion'],
  usage: `<${SHELLS.join('|')}>`,
  summary: 'print a shell completion script (commands, options, function names)',
  details: [
    'Completes commands, subcommands, options and their listed values, file names, and the names of the',
    "deployed functions where a command takes <fn> (asked of the gateway, with this shell's EPARA_GATEWAY_URL",
    'and key; nothing when it does not answer).',
  ],
  examples: [
    'source <(epara completion bash)                 # this shell; add it to ~/.bashrc for every one',
    'epara completion zsh > "${fpath[1]}/_epara"      # zsh (or: source <(epara completion zsh) in ~/.zshrc)',
    'epara completion fish > ~/.config/fish/completions/epara.fish',
  ],
  args: { min: 1, max: 1 },
  group: CommandGroup.Shell,
  async run(ctx) {
    const shell = ctx.args[0] as Shell;
    if (!SHELLS.includes(shell))
      throw new UsageError(`no completion for "${ctx.args[0]}": epara completes in ${SHELLS.join(', ')}`, ['completion']);
    // Read at run time: this module is itself one of COMMANDS.
    ctx.io.out(completionScript(shell, COMMANDS, GLOBAL_OPTIONS).trimEnd());
    return 0;
  },
};

/** The completion scripts' call for function names: one per line, or nothing (never an error) without a gateway. */
export const completeFunctionsCommand: Command = {
  path: COMPLETE_FUNCTIONS,
  usage: '',
  summary: 'the names of the deployed functions, for shell completion',
  args: { min: 0, max: 0 },
  group: CommandGroup.Shell,
  hidden: true,
  async run(ctx) {
    try {
      const { functions } = await ctx
        .gateway()
        .json<{ functions: { name: string }[] }>('/v1/functions', { timeoutMs: FUNCTION_NAMES_TIMEOUT_MS });
      for (const name of functions.map((f) => f.name).sort()) ctx.io.out(name);
    } catch {
      // No gateway, no key, a refusal: a completion offers nothing rather than an error in the prompt.
    }
    return 0;
  },
};
