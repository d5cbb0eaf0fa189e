import { devicesCommand, placementCommand } from './cluster';
import { completeFunctionsCommand, completionCommand } from './completion';
import { deployCommand, getCommand, lsCommand, patchCommand, rmCommand } from './functions';
import { invokeCommand } from './invoke';
import { keysCreateCommand, keysLsCommand, keysRevokeCommand } from './keys';
import { kvGetCommand, kvLsCommand, kvWatchCommand } from './kv';
import { eventsCommand, reqCommand, subCommand } from './messages';
import { microInfoCommand, microLsCommand, microStatsCommand } from './micro';
import { modelsLsCommand } from './models';
import { Command } from './types';

export * from './types';

/** Every command, in the order the help lists them. */
export const COMMANDS: readonly Command[] = [
  deployCommand,
  lsCommand,
  getCommand,
  rmCommand,
  patchCommand,
  invokeCommand,
  devicesCommand,
  placementCommand,
  keysCreateCommand,
  keysLsCommand,
  keysRevokeCommand,
  microLsCommand,
  microInfoCommand,
  microStatsCommand,
  kvLsCommand,
  kvGetCommand,
  kvWatchCommand,
  modelsLsCommand,
  subCommand,
  eventsCommand,
  reqCommand,
  completionCommand,
  completeFunctionsCommand,
];
