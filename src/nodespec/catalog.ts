import type { JsonErrorCode } from '../json/parse.js';
import type { RuleDescriptor } from './finding.js';
import { LINT_RULE_DESCRIPTORS } from './lint.js';
import { SCHEMA_RULE_ID } from './schema-messages.js';

const PARSE_RATIONALE: Record<JsonErrorCode, [string, string]> = {
  'invalid-utf8': [
    'invalid-utf8',
    'JSON text exchanged between systems must be UTF-8 (RFC 8259 section 8.1).',
  ],
  'too-large': [
    'too-large',
    'A size limit keeps a hostile or mistaken file from exhausting memory.',
  ],
  syntax: ['syntax', 'The file must be JSON (RFC 8259) before anything else can be checked.'],
  'duplicate-key': [
    'duplicate-key',
    'Parsers disagree on which duplicate wins, so a signed document could mean two things (RFC 7493 section 2.3).',
  ],
  'too-deep': [
    'too-deep',
    "Deep nesting is never a real NodeSpec and can exhaust a parser's stack.",
  ],
  'not-i-json': [
    'not-i-json',
    'Lone surrogates and overflowing numbers have no interoperable meaning (RFC 7493).',
  ],
};

/** The rule id of a parse failure, e.g. `json-duplicate-key`. */
export function parseRuleId(code: JsonErrorCode): string {
  return `json-${code}`;
}

/** Every rule the validator and linter can report, for SARIF `tool.driver.rules` and the docs. */
export const ALL_RULES: readonly RuleDescriptor[] = [
  ...Object.entries(PARSE_RATIONALE).map(([code, [name, rationale]]) => ({
    id: parseRuleId(code as JsonErrorCode),
    name,
    severity: 'error' as const,
    rationale,
  })),
  {
    id: SCHEMA_RULE_ID,
    name: 'schema',
    severity: 'error',
    rationale: 'The document must follow the NodeSpec v1 schema (schemas/nodespec.v1.schema.json).',
  },
  ...LINT_RULE_DESCRIPTORS,
];
