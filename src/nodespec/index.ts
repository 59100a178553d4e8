/** NodeSpec v1: schema validation, semantic lint rules, and source-located findings. Pure. */
export {
  checkNodeSpecSource,
  locateFinding,
  type CheckOptions,
  type CheckResult,
} from './check.js';
export { ALL_RULES, parseRuleId } from './catalog.js';
export type { Finding, LocatedFinding, RuleDescriptor, Severity } from './finding.js';
export { LINT_RULES, LINT_RULE_DESCRIPTORS, lintNodeSpec, type LintOptions } from './lint.js';
export type { Lane, NodeSpec, Port } from './nodespec.js';
export { isFullDate, nodeSpecSchema } from './schema.js';
export { SCHEMA_RULE_ID } from './schema-messages.js';
export { validateNodeSpec, type ValidationResult } from './validate.js';
