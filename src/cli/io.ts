/** How commands talk to the terminal: packages/governance/src/cli/io.ts, shared. */
export { processIo, type CliIo } from 'matriz-governance/cli/core';
