/**
 * Turns Ajv's schema errors into findings a person understands:
 * "`identity.tier` is 9; must be an integer from 0 to 7".
 */
import type { ErrorObject } from 'ajv/dist/2020.js';
import { appendPointer, fieldPath } from '../json/pointer.js';
import type { Finding } from './finding.js';

export const SCHEMA_RULE_ID = 'nodespec-schema';

/** Converts Ajv errors to findings, dropping those another error already explains. */
export function schemaFindings(errors: readonly ErrorObject[]): Finding[] {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    const finding = describe(error);
    if (finding === undefined) continue;
    const key = `${finding.pointer}\u0000${finding.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    findings.push(finding);
  }
  return findings;
}

function describe(error: ErrorObject): Finding | undefined {
  const pointer = error.instancePath;
  const field = `\`${fieldPath(pointer)}\``;
  const subject = pointer === '' ? 'the document' : field;
  const params = error.params as Record<string, unknown>;
  const parentSchema = (error.parentSchema ?? {}) as Record<string, unknown>;
  const make = (message: string, at: Finding['pointer'] = pointer, onKey = false): Finding => ({
    ruleId: SCHEMA_RULE_ID,
    severity: 'error',
    message,
    pointer: at,
    ...(onKey ? { at: 'key' as const } : {}),
  });

  switch (error.keyword) {
    case 'required': {
      const missing = String(params.missingProperty);
      const where = pointer === '' ? 'the document' : field;
      return make(`${where} is missing the required field \`${missing}\``);
    }
    case 'additionalProperties': {
      const extra = String(params.additionalProperty);
      const allowed = Object.keys(parentSchema.properties ?? {}).join(', ');
      const where = pointer === '' ? 'top-level field' : `field in ${field}`;
      return make(
        `unknown ${where} \`${extra}\`; allowed fields: ${allowed}`,
        appendPointer(pointer, extra),
        true,
      );
    }
    case 'type': {
      const expected = String(params.type);
      if (pointer === '')
        return make(`the top level must be a JSON object, found ${describeType(error.data)}`);
      return make(
        `${subject} is ${describeType(error.data)}; must be ${article(expected)} ${expected}`,
      );
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ');
      return make(`${subject} is ${JSON.stringify(error.data)}; must be one of ${allowed}`);
    }
    case 'const':
      return make(
        `${subject} is ${JSON.stringify(error.data)}; must be ${JSON.stringify(params.allowedValue)}`,
      );
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return make(
        `${subject} is ${JSON.stringify(error.data)}; must be ${describeRange(parentSchema)}`,
      );
    case 'format':
      if (params.format === 'date') {
        return make(
          `${subject} is ${JSON.stringify(error.data)}; must be a calendar date written YYYY-MM-DD (RFC 3339 full-date)`,
        );
      }
      return make(
        `${subject} is ${JSON.stringify(error.data)}; must be a valid ${String(params.format)}`,
      );
    case 'pattern': {
      const description =
        typeof parentSchema.description === 'string' ? ` (${parentSchema.description})` : '';
      return make(
        `${subject} is ${JSON.stringify(error.data)}; it does not have the expected form${description}`,
      );
    }
    case 'minLength':
      return params.limit === 1
        ? make(`${subject} is empty; must be a non-empty string`)
        : make(`${subject} is shorter than ${String(params.limit)} characters`);
    case 'maxLength':
      return make(
        `${subject} is ${(error.data as string).length} characters long; the limit is ${String(params.limit)}`,
      );
    case 'minItems':
      return make(`${subject} has fewer than ${String(params.limit)} items`);
    case 'maxItems':
      return make(`${subject} has more than ${String(params.limit)} items`);
    default:
      return make(`${subject} ${error.message ?? 'is invalid'}`);
  }
}

function describeRange(schema: Record<string, unknown>): string {
  const kind = schema.type === 'integer' ? 'an integer' : 'a number';
  const { minimum, maximum, exclusiveMinimum, exclusiveMaximum } = schema;
  if (typeof minimum === 'number' && typeof maximum === 'number')
    return `${kind} from ${minimum} to ${maximum}`;
  const bounds: string[] = [];
  if (typeof minimum === 'number')
    bounds.push(minimum === 0 ? 'zero or more' : `at least ${minimum}`);
  if (typeof exclusiveMinimum === 'number')
    bounds.push(exclusiveMinimum === 0 ? 'greater than zero' : `greater than ${exclusiveMinimum}`);
  if (typeof maximum === 'number') bounds.push(`at most ${maximum}`);
  if (typeof exclusiveMaximum === 'number') bounds.push(`less than ${exclusiveMaximum}`);
  return `${kind} ${bounds.join(' and ')}`;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return `the string ${JSON.stringify(value)}`;
    case 'number':
      return Number.isInteger(value)
        ? `the integer ${String(value)}`
        : `the number ${String(value)}`;
    case 'boolean':
      return `the boolean ${String(value)}`;
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}
