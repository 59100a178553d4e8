/** The `matriz` command line: one binary, subcommands grouped by noun (docs/cli.md). */
import { Command, CommanderError } from 'commander';
import { benchCommand } from './commands/bench.js';
import { exportCommand, restoreCommand } from './commands/backup.js';
import {
  deregisterCommand,
  getCommand,
  queryCommand,
  registerCommand,
  verifyCommand,
} from './commands/registry-client.js';
import { serveCommand } from './commands/serve.js';
import { fsckCommand } from './commands/fsck.js';
import { gatesCommand } from './commands/gates.js';
import { gitHubCommand } from './commands/github.js';
import { guardCommand } from './commands/guard.js';
import { keysCommand } from './commands/keys.js';
import { nodeSpecCommand } from './commands/nodespec.js';
import { signCommand } from './commands/sign.js';
import { ownersCommand, trustCommand } from './commands/trust.js';
import { verifyEnvelopeCommand } from './commands/verify-envelope.js';
import { EXIT_OK, EXIT_USAGE, UsageError } from './exit-codes.js';
import { processIo, type CliIo } from './io.js';
import { VERSION } from '../version.js';

/** Each command group, in the order `matriz --help` lists them. */
const COMMAND_GROUPS: readonly ((io: CliIo, setExitCode: (code: number) => void) => Command)[] = [
  nodeSpecCommand,
  serveCommand,
  fsckCommand,
  exportCommand,
  restoreCommand,
  registerCommand,
  queryCommand,
  getCommand,
  deregisterCommand,
  verifyCommand,
  guardCommand,
  gatesCommand,
  gitHubCommand,
  keysCommand,
  trustCommand,
  ownersCommand,
  signCommand,
  verifyEnvelopeCommand,
  benchCommand,
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
  for (const group of COMMAND_GROUPS) program.addCommand(group(io, setExitCode));
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
