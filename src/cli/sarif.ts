/** SARIF 2.1.0 output: packages/governance/src/cli/sarif.ts, shared with `nodespec lint`. */
export {
  SARIF_SCHEMA_URI,
  toSarif,
  type SarifFinding,
  type SarifRule,
  type SarifTool,
} from 'matriz-governance/cli/core';
