/**
 * What every `matriz` command takes from the governance package: the program runner and the
 * small pieces every command shares (exit codes, I/O, SARIF, option parsers). Light on purpose:
 * the governance command groups (the No-Op guard carries the TypeScript compiler) are
 * `matriz-governance/commands`, loaded only by the commands that run them.
 */
export { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError } from './exit-codes.js';
export { processIo, type CliIo } from './io.js';
export { positiveInteger } from './options.js';
export { runProgram, type CommandGroup, type ProgramSpec } from './program.js';
export {
  SARIF_SCHEMA_URI,
  toSarif,
  type SarifFinding,
  type SarifRule,
  type SarifTool,
} from './sarif.js';
