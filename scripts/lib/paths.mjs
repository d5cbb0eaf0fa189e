// Where things are: the repository root and the tools inside node_modules.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const fromRoot = (...parts) => join(repoRoot, ...parts);

export const npmCmd = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** A package's CLI entry inside node_modules, run with this node (faster than npx, and never downloads). */
export const localBin = {
  nest: fromRoot('node_modules', '@nestjs', 'cli', 'bin', 'nest.js'),
  jest: fromRoot('node_modules', 'jest', 'bin', 'jest.js'),
};
