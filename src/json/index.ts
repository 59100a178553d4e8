/**
 * JSON with positions (RFC 8259 / I-JSON), JSON Pointer (RFC 6901) and JCS (RFC 8785). Pure.
 * The implementation lives in the governance package (packages/governance/src/json), which both
 * packages share; docs/architecture.md, Layout.
 */
export * from 'matriz-governance/json';
