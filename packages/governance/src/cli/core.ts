/**
 * What every command of both binaries shares, without any command group: exit codes, I/O, the
 * program runner, option parsers and SARIF. `matriz` imports this (`matriz-governance/cli/core`)
 * at start, and the governance command groups (`matriz-governance/commands`, which loads the
 * TypeScript compiler and the Markdown parser) only when one of them runs: that keeps
 * `matriz --version` and `matriz nodespec validate` fast (docs/benchmarks.md, CLI start).
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
