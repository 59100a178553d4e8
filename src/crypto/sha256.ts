/** Synchronous SHA-256 (FIPS 180-4): packages/governance/src/digest/sha256.ts, shared. */
export { sha256 } from 'matriz-governance/digest';
