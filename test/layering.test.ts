/**
 * The layer rules of eslint.layers.js bite: each fixture is a file's source linted as if it lived
 * at its path in src/, with the repository's own layer blocks. A rule that stops refusing what it
 * should, or starts refusing what is allowed, fails here.
 */
import path from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: eslint.layers.js is plain JavaScript with JSDoc, outside the TS project.
import { layers } from '../eslint.layers.js';

const root = path.resolve(import.meta.dirname, '..');

async function restrictedImports(file: string, source: string): Promise<string[]> {
  const eslint = new ESLint({
    cwd: root,
    overrideConfigFile: true,
    overrideConfig: [
      { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } },
      ...(layers as ESLint.Options['overrideConfig'][]),
    ] as ESLint.Options['overrideConfig'],
  });
  const [result] = await eslint.lintText(source, { filePath: path.join(root, file) });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
}

describe('layer rules (eslint.layers.js)', () => {
  it.each([
    [
      'src/registry/fixture.ts',
      "import { UsageError } from '../cli/exit-codes.js';",
      /use cases never import entry points/,
    ],
    [
      'src/operator/fixture.ts',
      "import { buildApp } from '../server/app.js';",
      /use cases never import entry points/,
    ],
    [
      'src/client/fixture.ts',
      "import { main } from '../cli/main.js';",
      /use cases never import entry points/,
    ],
    [
      'src/store/fixture.ts',
      "import { Sequencer } from '../registry/sequencer.js';",
      /storage and files never import use cases/,
    ],
    [
      'src/files/fixture.ts',
      "import { serveCommand } from '../cli/commands/serve.js';",
      /storage and files never import use cases/,
    ],
    [
      'src/log/fixture.ts',
      "import type { Store } from '../store/store.js';",
      /pure layers import only pure layers/,
    ],
    [
      'src/verify/fixture.ts',
      "import { fetchJson } from '../client/http-client.js';",
      /pure layers import only pure layers/,
    ],
    [
      'src/trust/fixture.ts',
      "import { readFile } from 'node:fs/promises';",
      /pure layers do no I\/O/,
    ],
    ['src/crypto/fixture.ts', "import Database from 'better-sqlite3';", /pure layers do no I\/O/],
    [
      'src/server/fixture.ts',
      "import { main } from '../cli/main.js';",
      /the server never imports the CLI/,
    ],
    [
      'explorer/pages/fixture.ts',
      "import { RegistryClient } from '../../src/client/registry-client.js';",
      /the explorer runs in a browser: it imports only the pure layers/,
    ],
    [
      'explorer/fixture.ts',
      "import { readFileSync } from 'node:fs';",
      /the explorer runs in a browser: no Node\.js I\/O/,
    ],
  ])('refuses %s: %s', async (file, source, message) => {
    const messages = await restrictedImports(file, source);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/^no-restricted-imports: /);
    expect(messages[0]).toMatch(message);
  });

  it.each([
    ['src/registry/fixture.ts', "import type { Store } from '../store/store.js';"],
    ['src/verify/fixture.ts', "import { verifyInclusion } from '../log/proof.js';"],
    ['src/trust/fixture.ts', "import { canonicalize } from 'matriz-governance/json';"],
    ['src/cli/fixture.ts', "import { startService } from '../server/service.js';"],
    ['src/server/fixture.ts', "import { Registry } from '../registry/registry.js';"],
    ['explorer/fixture.ts', "import { verifyEntry } from '../src/verify/index.js';"],
  ])('allows %s: %s', async (file, source) => {
    expect(await restrictedImports(file, source)).toStrictEqual([]);
  });
});
