import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const governanceSources = fileURLToPath(new URL('./packages/governance/src/', import.meta.url));

export default defineConfig({
  resolve: {
    // The governance package's entry points resolve to its TypeScript sources (like the
    // "matriz-source" condition tsconfig.json uses), so tests and coverage run the code as
    // written, never a stale dist/. An alias, not a condition: vitest hands conditions to Node
    // (--conditions), and worker threads running dist/ would then load .ts files.
    alias: [
      {
        find: /^matriz-governance\/(cli|json|digest|files)$/,
        replacement: `${governanceSources}$1/index.ts`,
      },
    ],
  },
  test: {
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    testTimeout: 30_000,
    // The JSON results let .ci/run print a plain "N passed, N failed" closing line.
    reporters: ['default', ['json', { outputFile: '.vitest/results.json' }]],
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts', 'packages/*/src/**/*.ts'],
      // Ajv's standalone code, generated from the schema (test/nodespec/schema-validators.test.ts).
      exclude: ['src/**/*.generated.ts'],
      reporter: ['text-summary', 'json-summary'],
      thresholds: { lines: 85 },
    },
  },
});
