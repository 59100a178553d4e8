import type { Finding, RuleDescriptor } from './finding.js';
import {
  allowedAndDenied,
  noRepeatedCapabilities,
  wellFormedCapabilities,
} from './rules/capabilities.js';
import { orderedPercentiles, timeoutAbovePercentiles } from './rules/contracts.js';
import { glymphOwnerId } from './rules/identity.js';
import { uniqueEmittedSignals, uniquePortNames, uniqueSubscriptions } from './rules/interfaces.js';
import { createdInPast, semverVersion } from './rules/metadata.js';
import {
  knownSigningScheme,
  legacySigningScheme,
  pqcCompatNeedsPqcScheme,
} from './rules/provenance.js';
import type { LintRule } from './rules/rule.js';
import { unknownFields } from './rules/unknown-fields.js';
import { validateNodeSpec } from './validate.js';

/** Every lint rule, in rule id order. */
export const LINT_RULES: readonly LintRule[] = [
  semverVersion,
  orderedPercentiles,
  timeoutAbovePercentiles,
  uniqueEmittedSignals,
  wellFormedCapabilities,
  allowedAndDenied,
  knownSigningScheme,
  legacySigningScheme,
  pqcCompatNeedsPqcScheme,
  createdInPast,
  glymphOwnerId,
  uniquePortNames,
  uniqueSubscriptions,
  noRepeatedCapabilities,
  unknownFields,
];

export const LINT_RULE_DESCRIPTORS: readonly RuleDescriptor[] = LINT_RULES.map(
  ({ id, name, severity, rationale }) => ({
    id,
    name,
    severity,
    rationale,
  }),
);

export interface LintOptions {
  /** "Now" for time-dependent rules; defaults to the current time. */
  readonly now?: Date;
}

/**
 * Schema validation, then the semantic rules. Rules run only on a schema-valid document: they
 * rely on the shape the schema guarantees.
 */
export function lintNodeSpec(document: unknown, options: LintOptions = {}): Finding[] {
  const validation = validateNodeSpec(document);
  if (!validation.valid) return [...validation.findings];
  const context = { now: options.now ?? new Date() };
  const findings: Finding[] = [];
  for (const rule of LINT_RULES) {
    rule.check(validation.nodeSpec, context, (pointer, message, at) => {
      findings.push({
        ruleId: rule.id,
        severity: rule.severity,
        message,
        pointer,
        ...(at ? { at } : {}),
      });
    });
  }
  return findings;
}
