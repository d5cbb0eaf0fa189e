// ESLint flat config: @eslint/js and typescript-eslint recommended (the syntactic preset, not the
// type-checked one, which needs a full program per run and is too slow on small CI machines), then
// eslint-config-prettier so layout is Prettier's alone (`npm run lint` runs both).
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * Libraries are used through their index (`@epara/policy`), not through another library's inner files.
 * `@epara/nats/testing` is a second entry: fakes for specs, kept out of the production surface.
 * `@epara/nats/security` is another: NATS permissions, credentials and connection security without Nest,
 * for the scripts' compiled writer, the test support and the benchmarks.
 */
const NATS_SECURITY = '!@epara/nats/security';
const DEEP_IMPORT = {
  group: ['@epara/*/*', '!@epara/nats/testing', NATS_SECURITY],
  message: 'Import a library through its index (@epara/<lib>); a sub-path is allowed only where eslint.config.mjs says why.',
};

/** The NATS error classifier: a leaf that loads only the nats packages, for code that must not load Nest. */
const NATS_ERRORS = '!@epara/nats/nats-errors';

/** Like DEEP_IMPORT, but contracts' sub-paths are allowed (see the override below). */
const DEEP_IMPORT_EXCEPT_CONTRACTS = { ...DEEP_IMPORT, group: [...DEEP_IMPORT.group, '!@epara/contracts/*'] };

export default defineConfig(
  {
    ignores: ['dist/', 'coverage/', '.epara/', 'models/', 'bench/results/'],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.node },
    },
    linterOptions: {
      reportUnusedDisableDirectives: 'error',
    },
    rules: {
      // `_name` marks a parameter or binding kept for its position or shape (an interface method, a destructured rest).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      'no-restricted-imports': ['error', { patterns: [DEEP_IMPORT] }],
    },
  },
  {
    // The contracts index loads reflect-metadata and the class-validator DTOs. Pure and light code (the
    // policy, the control loops, the kinds, the ONNX runtime, the workload files the simulator reads)
    // imports the contracts modules it needs directly, the same modules the index re-exports, so it
    // stays loadable without them.
    files: ['libs/policy/**', 'libs/core/**', 'libs/kinds/**', 'libs/runtime/**', 'libs/workload/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [DEEP_IMPORT_EXCEPT_CONTRACTS] }],
    },
  },
  {
    // Hot paths: the simulator (apps/sim) runs the executor, the router and the worker's batch feedback
    // millions of times per simulated hour, and under tsx each call through an index re-export costs a
    // getter, so these files import leaf modules (`@epara/policy/batching/...`, `@epara/core/execution/...`) on purpose.
    files: ['libs/core/src/execution/**', 'libs/core/src/gateway/**', 'libs/core/src/worker/**', 'apps/sim/**'],
    rules: {
      'no-restricted-imports': 'off',
    },
  },
  {
    // The CLI reads function records without the Nest half of @epara/nats (the transport, the app kit):
    // it imports the repository module alone, so `epara` starts without loading Nest.
    files: ['apps/cli/**'],
    rules: {
      'no-restricted-imports': 'off',
    },
  },
  {
    // Benchmark drivers that load one leaf of a heavy library: the generation index loads gpt-tokenizer's
    // large rank table, the runtime index loads onnxruntime-node; these need only a model builder, a PRNG or the NATS
    // error classifier.
    files: ['bench/modes.ts', 'bench/failover.ts', 'bench/goodput/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ ...DEEP_IMPORT, group: [...DEEP_IMPORT.group, '!@epara/generation/*', '!@epara/runtime/*', NATS_ERRORS] }] },
      ],
    },
  },
  {
    // The load generators classify NATS failures with the platform's own helper, without the Nest half of @epara/nats.
    files: ['bench/lib/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ ...DEEP_IMPORT, group: ['@epara/*/*', NATS_ERRORS, NATS_SECURITY] }] }],
    },
  },
  {
    // Tests and benchmark drivers read HTTP and JSON replies loosely (`body.placement[0]...`): a wrong shape
    // fails the assertion or the run, so `any` there is a convenience, not a hole in the typed code.
    files: ['test/**', 'bench/**', '**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // CommonJS files (jest config, the jest environment).
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: {
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  prettier,
);
