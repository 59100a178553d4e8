/**
 * Checks NodeSpec source text end to end: parse with positions, validate (or lint), and place
 * every finding at a line and column. This is what the CLI and the HTTP validate endpoint run.
 */
import { parseJson, type ParsedJson, type ParseOptions } from '../json/parse.js';
import { pointerTokens } from '../json/pointer.js';
import { parseRuleId } from './catalog.js';
import type { Finding, LocatedFinding } from './finding.js';
import { lintNodeSpec, type LintOptions } from './lint.js';
import { validateNodeSpec } from './validate.js';

export interface CheckOptions extends ParseOptions, LintOptions {
  /** `validate` runs the schema only; `lint` runs the schema and the semantic rules. */
  readonly mode?: 'validate' | 'lint';
}

export interface CheckResult {
  /** The parsed document with its positions, or undefined when the source is not JSON. */
  readonly parsed: ParsedJson | undefined;
  readonly findings: readonly LocatedFinding[];
}

export function checkNodeSpecSource(
  source: string | Uint8Array,
  options: CheckOptions = {},
): CheckResult {
  const parsed = parseJson(source, options);
  if (!parsed.ok) {
    const { code, message, line, column, pointer } = parsed.error;
    return {
      parsed: undefined,
      findings: [
        {
          ruleId: parseRuleId(code),
          severity: 'error',
          message,
          pointer: pointer ?? '',
          line,
          column,
        },
      ],
    };
  }
  const findings =
    options.mode === 'lint'
      ? lintNodeSpec(parsed.value, options)
      : [...validateNodeSpec(parsed.value).findings];
  const located = findings.map((finding) => locateFinding(parsed, finding));
  located.sort((a, b) => a.line - b.line || a.column - b.column);
  return { parsed, findings: located };
}

/** Places a finding at its value (or member name), or at the nearest enclosing value that exists. */
export function locateFinding(parsed: ParsedJson, finding: Finding): LocatedFinding {
  let position =
    finding.at === 'key' ? parsed.locateKey(finding.pointer) : parsed.locate(finding.pointer);
  const tokens = pointerTokens(finding.pointer);
  while (position === undefined && tokens.length > 0) {
    tokens.pop();
    position = parsed.locate(tokens.length === 0 ? '' : `/${tokens.map(escapeToken).join('/')}`);
  }
  return { ...finding, line: position?.line ?? 1, column: position?.column ?? 1 };
}

function escapeToken(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}
