import type { LintRule } from './rule.js';

// verb:resource/path, where each segment is a name or a whole-segment `*`.
const SEGMENT = String.raw`(?:\*|[A-Za-z0-9_.-]+)`;
const CAPABILITY = new RegExp(String.raw`^(?:\*|[a-z][a-z0-9_-]*):${SEGMENT}(?:/${SEGMENT})*$`);

export function isCapabilityPattern(pattern: string): boolean {
  return CAPABILITY.test(pattern);
}

/** Splits `verb:a/b` into [`verb`, `a`, `b`]. Only for well-formed patterns. */
function segments(pattern: string): readonly string[] {
  const colon = pattern.indexOf(':');
  return [pattern.slice(0, colon), ...pattern.slice(colon + 1).split('/')];
}

/** Whether every capability `inner` matches is also matched by `outer`. */
export function capabilityCovers(outer: string, inner: string): boolean {
  return segmentsCover(segments(outer), segments(inner));
}

function segmentsCover(outer: readonly string[], inner: readonly string[]): boolean {
  return (
    outer.length === inner.length &&
    outer.every((segment, i) => segment === '*' || segment === inner[i])
  );
}

function explainMalformed(pattern: string): string {
  if (!pattern.includes(':')) return 'it has no `verb:` prefix';
  if (/\*[^/]|[^/:]\*/.test(pattern)) return '`*` must be a whole segment, as in `read:memory/*`';
  if (pattern.includes('//') || pattern.endsWith('/')) return 'it has an empty path segment';
  return 'it must look like `verb:resource/path` with segments of letters, digits, `.`, `_`, `-` or a whole `*`';
}

export const wellFormedCapabilities: LintRule = {
  id: 'NS005',
  name: 'capability-pattern',
  severity: 'error',
  rationale:
    'A malformed capability pattern matches nothing or more than intended; policy must say exactly what it means.',
  check(spec, _context, report) {
    const policy = spec.identity.capabilities_policy;
    for (const list of ['allow', 'deny'] as const) {
      policy?.[list]?.forEach((pattern, index) => {
        if (!isCapabilityPattern(pattern)) {
          report(
            `/identity/capabilities_policy/${list}/${index}`,
            `capability ${JSON.stringify(pattern)} is malformed: ${explainMalformed(pattern)}`,
          );
        }
      });
    }
  },
};

export const allowedAndDenied: LintRule = {
  id: 'NS006',
  name: 'allowed-and-denied',
  severity: 'error',
  rationale:
    'Deny wins, so an allow entry that a deny entry covers has no effect and hides a policy mistake.',
  check(spec, _context, report) {
    const allow = spec.identity.capabilities_policy?.allow ?? [];
    const deny = (spec.identity.capabilities_policy?.deny ?? [])
      .filter(isCapabilityPattern)
      .map((pattern) => ({ pattern, segments: segments(pattern) }));
    if (deny.length === 0) return;
    allow.forEach((pattern, index) => {
      if (!isCapabilityPattern(pattern)) return;
      const allowed = segments(pattern);
      const covering = deny.find((d) => segmentsCover(d.segments, allowed))?.pattern;
      if (covering === undefined) return;
      const by = covering === pattern ? '' : ` (by ${JSON.stringify(covering)})`;
      report(
        `/identity/capabilities_policy/allow/${index}`,
        `capability ${JSON.stringify(pattern)} is both allowed and denied${by}; deny wins, so the allow entry has no effect`,
      );
    });
  },
};

export const noRepeatedCapabilities: LintRule = {
  id: 'NS014',
  name: 'repeated-capability',
  severity: 'warning',
  rationale: 'A capability listed twice in one list is noise that hides real changes in review.',
  check(spec, _context, report) {
    const policy = spec.identity.capabilities_policy;
    for (const list of ['allow', 'deny'] as const) {
      const seen = new Set<string>();
      policy?.[list]?.forEach((pattern, index) => {
        if (seen.has(pattern)) {
          report(
            `/identity/capabilities_policy/${list}/${index}`,
            `capability ${JSON.stringify(pattern)} appears twice in \`${list}\``,
          );
        }
        seen.add(pattern);
      });
    }
  },
};
