// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
    // Layering (DESIGN.md "Layers"): pure libraries never import entry points.
    files: [
      'src/nodespec/**',
      'src/crypto/**',
      'src/log/**',
      'src/trust/**',
      'packages/governance/src/json/**',
      'packages/governance/src/digest/**',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/cli/**',
                '**/server/**',
                '**/store/**',
                '**/registry/**',
                '**/governance/**',
              ],
              message: 'pure libraries depend on nothing above them (DESIGN.md, Layers)',
            },
            {
              group: ['node:fs', 'node:fs/*', 'node:net', 'node:http', 'node:child_process'],
              message: 'pure libraries do no I/O (DESIGN.md, Layers)',
            },
          ],
        },
      ],
    },
  },
);
