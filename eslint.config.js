// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { layers } from './eslint.layers.js';

export default tseslint.config(
  { ignores: ['**/dist/', 'coverage/', '**/node_modules/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unnecessary-condition': [
        'error',
        { allowConstantLoopConditions: true },
      ],
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.js'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
  },
  {
    // Tests reshape JSON documents freely to break one rule at a time.
    files: ['test/**', 'packages/*/test/**'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // The governance package installs and runs alone (docs/architecture.md, Layout): it never
    // imports the registry, nor the registry's storage and server dependencies (its tsconfig's
    // rootDir refuses relative imports out of the package). Before the layering block below,
    // which replaces this rule for the package's pure folders.
    files: ['packages/governance/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['matriz', 'matriz/*'],
              message: 'matriz-governance must not depend on the registry package',
            },
            {
              group: ['better-sqlite3', 'pg', 'fastify', '@fastify/*', '@oqs/*'],
              message: 'matriz-governance installs without the registry dependencies',
            },
          ],
        },
      ],
    },
  },
  {
    // The governance package's pure folders (its JSON and digest layers, shared with the
    // registry) do no I/O and import nothing above them.
    files: ['packages/governance/src/json/**', 'packages/governance/src/digest/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/cli/**', '**/files/**', '**/governance/**', '**/noop/**'],
              message: 'pure layers import only pure layers (docs/architecture.md, Layers)',
            },
            {
              group: ['node:fs', 'node:fs/*', 'node:net', 'node:http', 'node:child_process'],
              message: 'pure layers do no I/O (docs/architecture.md, Layers)',
            },
          ],
        },
      ],
    },
  },
  // The registry's layers, one block per layer (eslint.layers.js).
  ...layers,
);
