/**
 * Runs a commander program of command groups the way every MATRIZ binary does: output through
 * CliIo, help and version exit 0, commander's errors and UsageError exit 2 with one line on
 * stderr, anything else is an internal error (docs/cli.md, exit codes). `matriz` and
 * `matriz-governance` both run through here, so the governance commands behave the same in both.
 */
import { Command, CommanderError } from 'commander';
import { EXIT_OK, EXIT_USAGE, UsageError } from './exit-codes.js';
import type { CliIo } from './io.js';

/** A command group: builds its commander subtree; its actions report through `setExitCode`. */
export type CommandGroup = (io: CliIo, setExitCode: (code: number) => void) => Command;

export interface ProgramSpec {
  readonly name: string;
  readonly description: string;
  readonly version: string;
  /** In the order `--help` lists them. */
  readonly groups: readonly CommandGroup[];
  /**
   * Print stack traces (an internal error's, and the cause of a usage error). Off by default:
   * a user sees one line saying what happened; `matriz --debug` or MATRIZ_DEBUG=1 turn it on.
   */
  readonly debug?: boolean;
  /**
   * The one-line message of an error that says what is wrong around the command (a database
   * that cannot be reached, a damaged file) rather than a bug; it exits 2 like a usage error.
   */
  readonly userError?: (error: unknown) => string | undefined;
}

/** Runs `spec` with `args` (without the node and script paths) and returns the exit code. */
export async function runProgram(
  spec: ProgramSpec,
  args: readonly string[],
  io: CliIo,
): Promise<number> {
  let exitCode = EXIT_OK;
  const setExitCode = (code: number): void => {
    exitCode = code;
  };
  const program = new Command(spec.name)
    .description(spec.description)
    .version(spec.version)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  for (const group of spec.groups) program.addCommand(group(io, setExitCode));
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
      io.stderr(`${spec.name}: error: ${error.message}\n`);
      if (spec.debug === true && error.cause instanceof Error && error.cause.stack)
        io.stderr(`${error.cause.stack}\n`);
      return EXIT_USAGE;
    }
    const message = spec.userError?.(error);
    if (message !== undefined) {
      io.stderr(`${spec.name}: error: ${message}\n`);
      if (spec.debug === true && error instanceof Error && error.stack)
        io.stderr(`${error.stack}\n`);
      return EXIT_USAGE;
    }
    if (spec.debug === true)
      io.stderr(
        `${spec.name}: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
    else
      io.stderr(
        `${spec.name}: internal error: ${oneLine(error)} (a bug: rerun with --debug or MATRIZ_DEBUG=1 for the stack trace and report it)\n`,
      );
    return EXIT_USAGE;
  }
}

/** An error's name and message on one line, without its stack. */
function oneLine(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.replace(/\s*\n\s*/g, ' ');
}

function applyRecursively(command: Command, apply: (command: Command) => void): void {
  apply(command);
  for (const sub of command.commands) applyRecursively(sub, apply);
}
