/** RFC 8785 canonical JSON: packages/governance/src/json/canonicalize.ts (shared, see ./index.ts). */
export { canonicalize, CanonicalizationError, formatCanonical } from 'matriz-governance/json';
