/** The `matriz` command line: one binary, subcommands grouped by noun (docs/cli.md). */
import { Command, CommanderError } from 'commander';
import { EXIT_OK, EXIT_USAGE, UsageError } from './exit-codes.js';
import { processIo, type CliIo } from './io.js';
import { VERSION } from '../version.js';

type CommandGroup = (io: CliIo, setExitCode: (code: number) => void) => Command;

/**
 * Each command group by name, in the order `matriz --help` lists them, loaded on demand: a
 * command loads only its own modules, so that e.g. `matriz export` does not carry the TypeScript
 * compiler the No-Op guard needs (docs/benchmarks.md, Export and restore).
 */
const COMMAND_GROUPS: readonly (readonly [string, () => Promise<CommandGroup>])[] = [
  ['nodespec', async () => (await import('./commands/nodespec.js')).nodeSpecCommand],
  ['serve', async () => (await import('./commands/serve.js')).serveCommand],
  ['fsck', async () => (await import('./commands/fsck.js')).fsckCommand],
  ['export', async () => (await import('./commands/backup.js')).exportCommand],
  ['restore', async () => (await import('./commands/backup.js')).restoreCommand],
  ['register', async () => (await import('./commands/registry-client.js')).registerCommand],
  ['query', async () => (await import('./commands/registry-client.js')).queryCommand],
  ['get', async () => (await import('./commands/registry-client.js')).getCommand],
  ['deregister', async () => (await import('./commands/registry-client.js')).deregisterCommand],
  ['verify', async () => (await import('./commands/registry-client.js')).verifyCommand],
  ['guard', async () => (await import('./commands/guard.js')).guardCommand],
  ['gates', async () => (await import('./commands/gates.js')).gatesCommand],
  ['github', async () => (await import('./commands/github.js')).gitHubCommand],
  ['keys', async () => (await import('./commands/keys.js')).keysCommand],
  ['trust', async () => (await import('./commands/trust.js')).trustCommand],
  ['owners', async () => (await import('./commands/trust.js')).ownersCommand],
  ['sign', async () => (await import('./commands/sign.js')).signCommand],
  [
    'verify-envelope',
    async () => (await import('./commands/verify-envelope.js')).verifyEnvelopeCommand,
  ],
  ['bench', async () => (await import('./commands/bench.js')).benchCommand],
];

/** Runs the CLI with `args` (without the node and script paths) and returns the exit code. */
export async function main(args: readonly string[], io: CliIo = processIo): Promise<number> {
  let exitCode = EXIT_OK;
  const setExitCode = (code: number): void => {
    exitCode = code;
  };
  const program = new Command('matriz')
    .description(
      'MATRIZ Registry: NodeSpec toolkit, post-quantum signed transparency registry, governance tools',
    )
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  // The named group alone; every group for help, --version and names matriz does not know.
  const named = COMMAND_GROUPS.filter(([name]) => name === args[0]);
  for (const [, load] of named.length > 0 ? named : COMMAND_GROUPS)
    program.addCommand((await load())(io, setExitCode));
  applyRecursively(program, (command) => {
    command.exitOverride();
    command.configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  });

  try {
    await program.parseAsync([...args], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; every other commander error is a usage error.
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (error instanceof UsageError) {
      io.stderr(`matriz: error: ${error.message}\n`);
      return EXIT_USAGE;
    }
    io.stderr(
      `matriz: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return EXIT_USAGE;
  }
}

function applyRecursively(command: Command, apply: (command: Command) => void): void {
  apply(command);
  for (const sub of command.commands) applyRecursively(sub, apply);
}
