/** The `matriz` command line: one binary, subcommands grouped by noun (docs/cli.md). */
import { runProgram, type CommandGroup } from 'matriz-governance/cli/core';
import { StoreError } from '../store/store.js';
import { processIo, type CliIo } from './io.js';
import { VERSION } from '../version.js';

const governance = () => import('matriz-governance/commands');

/**
 * Each command group by name, in the order `matriz --help` lists them, loaded on demand: a
 * command loads only its own modules, so that e.g. `matriz export` does not carry the TypeScript
 * compiler the No-Op guard needs (docs/benchmarks.md, Export and restore). `guard`, `gates` and
 * `github` come from the governance package, which also ships them as `matriz-governance`.
 */
const COMMAND_GROUPS: readonly (readonly [string, () => Promise<CommandGroup>])[] = [
  ['nodespec', async () => (await import('./commands/nodespec.js')).nodeSpecCommand],
  ['serve', async () => (await import('./commands/serve.js')).serveCommand],
  ['fsck', async () => (await import('./commands/fsck.js')).fsckCommand],
  ['audit', async () => (await import('./commands/audit.js')).auditCommand],
  ['export', async () => (await import('./commands/backup.js')).exportCommand],
  ['restore', async () => (await import('./commands/backup.js')).restoreCommand],
  ['tiles', async () => (await import('./commands/tiles.js')).tilesCommand],
  ['import-legacy', async () => (await import('./commands/import-legacy.js')).importLegacyCommand],
  ['register', async () => (await import('./commands/registry-client.js')).registerCommand],
  ['query', async () => (await import('./commands/registry-client.js')).queryCommand],
  ['get', async () => (await import('./commands/registry-client.js')).getCommand],
  ['deregister', async () => (await import('./commands/registry-client.js')).deregisterCommand],
  ['verify', async () => (await import('./commands/registry-client.js')).verifyCommand],
  ['guard', async () => (await governance()).guardCommand],
  ['gates', async () => (await governance()).gatesCommand],
  ['github', async () => (await governance()).gitHubCommand],
  ['keys', async () => (await import('./commands/keys.js')).keysCommand],
  ['trust', async () => (await import('./commands/trust.js')).trustCommand],
  ['owners', async () => (await import('./commands/owners.js')).ownersCommand],
  ['witness', async () => (await import('./commands/witness.js')).witnessCommand],
  ['sign', async () => (await import('./commands/sign.js')).signCommand],
  [
    'verify-envelope',
    async () => (await import('./commands/verify-envelope.js')).verifyEnvelopeCommand,
  ],
  ['bench', async () => (await import('./commands/bench.js')).benchCommand],
];

/** The variable that turns on stack traces, like `--debug`. */
export const DEBUG_ENV = 'MATRIZ_DEBUG';

/**
 * Runs the CLI with `args` (without the node and script paths) and returns the exit code.
 * `--debug` (anywhere before `--`) or MATRIZ_DEBUG=1 print stack traces; otherwise every failure
 * is one line.
 */
export async function main(allArgs: readonly string[], io: CliIo = processIo): Promise<number> {
  const { args, debug: debugFlag } = withoutDebugFlag(allArgs);
  const debug = debugFlag || isTrue(io.env[DEBUG_ENV]);
  // Answered before any command group loads: scripts and shells ask this often.
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
    io.stdout(`${VERSION}\n`);
    return 0;
  }
  // The named group alone; every group for help, --version and names matriz does not know.
  const named = COMMAND_GROUPS.filter(([name]) => name === args[0]);
  const groups = await Promise.all(
    (named.length > 0 ? named : COMMAND_GROUPS).map(([, load]) => load()),
  );
  return runProgram(
    {
      name: 'matriz',
      description:
        'MATRIZ Registry: NodeSpec toolkit, post-quantum signed transparency registry, governance tools',
      version: VERSION,
      groups,
      debug,
      userError: storeProblem,
    },
    args,
    io,
  );
}

function withoutDebugFlag(args: readonly string[]): { args: string[]; debug: boolean } {
  const end = args.indexOf('--');
  const options = end === -1 ? args : args.slice(0, end);
  const rest = end === -1 ? [] : args.slice(end);
  const kept = options.filter((arg) => arg !== '--debug');
  return { args: [...kept, ...rest], debug: kept.length !== options.length };
}

function isTrue(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

/** Store failures a user acts on (docs/cli.md, exit 2): said in one line, not as a bug. */
const USER_STORE_ERRORS: ReadonlySet<string> = new Set([
  'unreachable',
  'corrupt',
  'schema-too-new',
  'not-empty',
]);

function storeProblem(error: unknown): string | undefined {
  return error instanceof StoreError && USER_STORE_ERRORS.has(error.code)
    ? error.message
    : undefined;
}
