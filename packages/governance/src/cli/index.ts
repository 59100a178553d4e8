/**
 * What the `matriz` CLI takes from the governance package: the governance command groups, the
 * program runner, and the small pieces every command shares (exit codes, I/O, SARIF, option
 * parsers).
 */
export { gatesCommand } from './commands/gates.js';
export { gitHubCommand } from './commands/github.js';
export { guardCommand } from './commands/guard.js';
export { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError } from './exit-codes.js';
export { processIo, type CliIo } from './io.js';
export { GOVERNANCE_COMMAND_GROUPS, main } from './main.js';
export { positiveInteger } from './options.js';
export { runProgram, type CommandGroup, type ProgramSpec } from './program.js';
export {
  SARIF_SCHEMA_URI,
  toSarif,
  type SarifFinding,
  type SarifRule,
  type SarifTool,
} from './sarif.js';
