import type { Finding } from './finding.js';
import type { NodeSpec } from './nodespec.js';
import { nodeSpecValidators } from './schema.js';
import { schemaFindings } from './schema-messages.js';

export type ValidationResult =
  | { readonly valid: true; readonly nodeSpec: NodeSpec; readonly findings: readonly [] }
  | { readonly valid: false; readonly findings: readonly Finding[] };

/** Checks a parsed document against the NodeSpec v1 schema, reporting every violation. */
export function validateNodeSpec(document: unknown): ValidationResult {
  const { firstError, allErrors } = nodeSpecValidators();
  if (firstError(document)) return { valid: true, nodeSpec: document as NodeSpec, findings: [] };
  allErrors(document);
  return { valid: false, findings: schemaFindings(allErrors.errors ?? []) };
}
