import type { Finding } from './finding.js';
import type { NodeSpec } from './nodespec.js';
import { nodeSpecValidator } from './schema.js';
import { schemaFindings } from './schema-messages.js';

export type ValidationResult =
  | { readonly valid: true; readonly nodeSpec: NodeSpec; readonly findings: readonly [] }
  | { readonly valid: false; readonly findings: readonly Finding[] };

/** Checks a parsed document against the NodeSpec v1 schema, reporting every violation. */
export function validateNodeSpec(document: unknown): ValidationResult {
  const validate = nodeSpecValidator();
  if (validate(document)) return { valid: true, nodeSpec: document as NodeSpec, findings: [] };
  return { valid: false, findings: schemaFindings(validate.errors ?? []) };
}
