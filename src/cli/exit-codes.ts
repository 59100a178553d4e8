/**
 * Exit codes of `matriz` (docs/cli.md, "Exit codes"). 0, 1 and 2 are shared by every command of
 * both binaries (packages/governance/src/cli/exit-codes.ts); the client commands add 3 to 5.
 */
export { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError } from 'matriz-governance/cli/core';

/** A registry answer did not verify (signatures, proofs, trust root). */
export const EXIT_VERIFICATION_FAILED = 3;
/** The log forked or rolled back: two validly signed, inconsistent checkpoints. */
export const EXIT_FORK = 4;
/**
 * No usable answer from the server: it cannot be reached, did not answer within the timeout,
 * or is not a MATRIZ registry (an HTML page, a JSON document that is not the API's).
 */
export const EXIT_UNAVAILABLE = 5;
