/** `sha256:<hex>` digests: packages/governance/src/digest/digest.ts, shared by both packages. */
export { sha256Digest } from 'matriz-governance/digest';
