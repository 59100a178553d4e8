// @ts-check
/**
 * The layers of docs/architecture.md ("Layers"), as ESLint `no-restricted-imports` blocks: every
 * folder of src/ belongs to exactly one layer, and imports point down only.
 *
 *   entry points   cli/ server/ bench/         parse input, print output; compose the rest
 *   use cases      registry/ operator/ client/ backup/ witness/
 *   infrastructure store/ keystore/ files/     persistence and the file system
 *   pure           nodespec/ crypto/ log/ trust/ verify/ json/   no I/O, browser-safe
 *
 * test/layering.test.ts lints fixtures against these blocks, so a rule that stops biting fails.
 */

const ENTRY_POINTS = ['cli', 'server', 'bench'];
const USE_CASES = ['registry', 'operator', 'client', 'backup', 'witness'];
const INFRASTRUCTURE = ['store', 'keystore', 'files'];
const PURE = ['nodespec', 'crypto', 'log', 'trust', 'verify', 'json'];

/** Import patterns for the folders of `layers`, however deep the relative path. */
const folders = (layers) => layers.flatMap((name) => [`**/${name}/**`, `./${name}/**`]);

const IO_MODULES = [
  'node:fs',
  'node:fs/*',
  'node:net',
  'node:http',
  'node:https',
  'node:child_process',
  'node:worker_threads',
  'better-sqlite3',
  'pg',
  'fastify',
  '@fastify/*',
];

/** One block: files of `layer` may not import `forbidden` folders, with the reason. */
function layer(names, forbidden, message, extra = []) {
  return {
    files: names.map((name) => `src/${name}/**`),
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: folders(forbidden), message: `${message} (docs/architecture.md, Layers)` },
            ...extra,
          ],
        },
      ],
    },
  };
}

export const layers = [
  layer(
    PURE,
    [...ENTRY_POINTS, ...USE_CASES, ...INFRASTRUCTURE],
    'pure layers import only pure layers',
    [
      { group: IO_MODULES, message: 'pure layers do no I/O (docs/architecture.md, Layers)' },
      {
        group: ['matriz-governance/cli', 'matriz-governance/commands', 'matriz-governance/files'],
        message: 'pure layers import only pure layers (docs/architecture.md, Layers)',
      },
    ],
  ),
  layer(
    INFRASTRUCTURE,
    [...ENTRY_POINTS, ...USE_CASES],
    'storage and files never import use cases or entry points',
  ),
  layer(USE_CASES, ENTRY_POINTS, 'use cases never import entry points'),
  // Entry points compose everything below them; neither imports the other's folder, except
  // that the CLI starts the server (`serve`) and the benchmarks do.
  layer(['server'], ['cli', 'bench'], 'the server never imports the CLI or the benchmarks'),
  layer(['bench'], ['cli'], 'the benchmarks never import the CLI'),
  // The web explorer runs in a browser: of src/ it may use only the pure layers.
  {
    files: ['explorer/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: folders([...ENTRY_POINTS, ...USE_CASES, ...INFRASTRUCTURE]),
              message:
                'the explorer runs in a browser: it imports only the pure layers of src/ (docs/architecture.md, Web explorer)',
            },
            { group: IO_MODULES, message: 'the explorer runs in a browser: no Node.js I/O' },
          ],
        },
      ],
    },
  },
];
