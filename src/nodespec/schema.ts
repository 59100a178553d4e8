/**
 * The NodeSpec v1 JSON Schema (draft 2020-12), compiled once with Ajv on first use.
 *
 * The schema file is the contract and its documentation; this module only compiles it. The
 * `date` format is RFC 3339 `full-date`, checked against the calendar.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import nodeSpecSchema from '../../schemas/nodespec.v1.schema.json' with { type: 'json' };

export { nodeSpecSchema };

export interface NodeSpecValidators {
  /** Stops at the first error: the fast path for the common, valid case. */
  readonly firstError: ValidateFunction;
  /** Collects every error with the failing data and schema, to explain them. */
  readonly allErrors: ValidateFunction;
}

let compiled: NodeSpecValidators | undefined;

/** The compiled validators; compiled lazily so importing this module costs nothing. */
export function nodeSpecValidators(): NodeSpecValidators {
  compiled ??= {
    firstError: compileNodeSpecSchema(false),
    allErrors: compileNodeSpecSchema(true),
  };
  return compiled;
}

function compileNodeSpecSchema(allErrors: boolean): ValidateFunction {
  const ajv = new Ajv2020({ allErrors, verbose: allErrors, strict: true, unicodeRegExp: false });
  ajv.addFormat('date', { type: 'string', validate: isFullDate });
  return ajv.compile(nodeSpecSchema);
}

export type SchemaError = ErrorObject;

const FULL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** RFC 3339 section 5.6 `full-date`, including the calendar rules of its section 5.7. */
export function isFullDate(text: string): boolean {
  const match = FULL_DATE.exec(text);
  if (!match) return false;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const daysInMonth = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
  return day <= daysInMonth;
}
