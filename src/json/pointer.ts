/** JSON Pointer (RFC 6901): packages/governance/src/json/pointer.ts (shared, see ./index.ts). */
export { appendPointer, fieldPath, pointerTokens } from 'matriz-governance/json';
