/** The `matriz` command line: one binary, subcommands grouped by noun (docs/cli.md). */
import {
  gatesCommand,
  gitHubCommand,
  guardCommand,
  runProgram,
  type CommandGroup,
} from 'matriz-governance/cli';
import { benchCommand } from './commands/bench.js';
import {
  deregisterCommand,
  getCommand,
  queryCommand,
  registerCommand,
  verifyCommand,
} from './commands/registry-client.js';
import { serveCommand } from './commands/serve.js';
import { fsckCommand } from './commands/fsck.js';
import { keysCommand } from './commands/keys.js';
import { nodeSpecCommand } from './commands/nodespec.js';
import { signCommand } from './commands/sign.js';
import { ownersCommand, trustCommand } from './commands/trust.js';
import { verifyEnvelopeCommand } from './commands/verify-envelope.js';
import { processIo, type CliIo } from './io.js';
import { VERSION } from '../version.js';

/**
 * Each command group, in the order `matriz --help` lists them. `guard`, `gates` and `github`
 * come from the governance package, which also ships them as the `matriz-governance` binary.
 */
const COMMAND_GROUPS: readonly CommandGroup[] = [
  nodeSpecCommand,
  serveCommand,
  fsckCommand,
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
  return runProgram(
    {
      name: 'matriz',
      description:
        'MATRIZ Registry: NodeSpec toolkit, post-quantum signed transparency registry, governance tools',
      version: VERSION,
      groups: COMMAND_GROUPS,
    },
    args,
    io,
  );
}
