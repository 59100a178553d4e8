/**
 * The `matriz-governance` command line: the governance command groups of `matriz` (guard,
 * gates, github), installable without the registry (docs/governance.md).
 */
import { gatesCommand } from './commands/gates.js';
import { gitHubCommand } from './commands/github.js';
import { guardCommand } from './commands/guard.js';
import { processIo, type CliIo } from './io.js';
import { runProgram } from './program.js';
import { VERSION } from '../version.js';

/** The governance command groups, in the order both binaries list them. */
export const GOVERNANCE_COMMAND_GROUPS = [guardCommand, gatesCommand, gitHubCommand] as const;

/** Runs the CLI with `args` (without the node and script paths) and returns the exit code. */
export async function main(args: readonly string[], io: CliIo = processIo): Promise<number> {
  return runProgram(
    {
      name: 'matriz-governance',
      description:
        'MATRIZ governance tools for CI: No-Op guard, promotion guard, gates, branch protection',
      version: VERSION,
      groups: GOVERNANCE_COMMAND_GROUPS,
    },
    args,
    io,
  );
}
