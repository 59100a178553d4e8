/** Exit codes shared by every command of both binaries: packages/governance/src/cli/exit-codes.ts. */
export { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError } from 'matriz-governance/cli';
