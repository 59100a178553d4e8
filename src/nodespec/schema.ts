/**
 * The NodeSpec v1 JSON Schema (draft 2020-12) and its validators, compiled by Ajv ahead of time
 * (scripts/nodespec-validators.js writes schema-validators.generated.ts; a test keeps it equal to
 * what the schema compiles to), so that validating costs no schema compilation and no Ajv at
 * start-up.
 *
 * The schema file is the contract and its documentation. The `date` format is RFC 3339
 * `full-date`, checked against the calendar (full-date.ts).
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import nodeSpecSchema from '../../schemas/nodespec.v1.schema.json' with { type: 'json' };
import { allErrors, firstError } from './schema-validators.generated.js';

export { nodeSpecSchema };
export { isFullDate } from './full-date.js';

export interface NodeSpecValidators {
  /** Stops at the first error: the fast path for the common, valid case. */
  readonly firstError: ValidateFunction;
  /** Collects every error with the failing data and schema, to explain them. */
  readonly allErrors: ValidateFunction;
}

const validators: NodeSpecValidators = {
  firstError: firstError as unknown as ValidateFunction,
  allErrors: allErrors as unknown as ValidateFunction,
};

/** The precompiled validators. */
export function nodeSpecValidators(): NodeSpecValidators {
  return validators;
}

export type SchemaError = ErrorObject;
