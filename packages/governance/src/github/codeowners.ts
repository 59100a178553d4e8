/**
 * CODEOWNERS coverage: every file under a security-sensitive path must have an owner, so that
 * `require_code_owner_reviews` actually requires someone's review for it.
 *
 * Matching follows GitHub's CODEOWNERS rules
 * (https://docs.github.com/repositories/managing-your-repositorys-settings-and-features/customizing-your-repository/about-code-owners):
 * gitignore-style patterns, the last matching line wins, and a line with a pattern but no owners
 * leaves the matching files unowned.
 */
import picomatch from 'picomatch';

export interface CodeOwnersRule {
  readonly pattern: string;
  readonly owners: readonly string[];
  readonly line: number;
  readonly matches: (file: string) => boolean;
}

export function parseCodeOwners(text: string): CodeOwnersRule[] {
  const rules: CodeOwnersRule[] = [];
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    // `#` starts a comment unless escaped (`\#`).
    const line = raw.replace(/(^|[^\\])#.*$/, '$1').trim();
    if (line === '') continue;
    const [pattern = '', ...owners] = line.split(/\s+/);
    rules.push({
      pattern,
      owners,
      line: index + 1,
      matches: patternMatcher(pattern.replace(/\\#/g, '#')),
    });
  }
  return rules;
}

/**
 * A gitignore-style pattern: anchored if it has a leading or inner `/`; a directory matches all
 * files below it. Unlike gitignore, a last segment with a wildcard (`docs/*`) matches only the
 * files directly there, as GitHub documents for CODEOWNERS.
 */
function patternMatcher(pattern: string): (file: string) => boolean {
  const directoryOnly = pattern.endsWith('/');
  let body = directoryOnly ? pattern.slice(0, -1) : pattern;
  const anchored = body.startsWith('/') || body.includes('/');
  body = body.replace(/^\//, '');
  const prefix = anchored ? '' : '**/';
  const last = body.split('/').pop() ?? '';
  const filesOnly = last.includes('*') && last !== '**';
  const globs = directoryOnly
    ? [`${prefix}${body}/**`]
    : filesOnly
      ? [`${prefix}${body}`]
      : [`${prefix}${body}`, `${prefix}${body}/**`];
  return picomatch(globs, { dot: true });
}

/** The owners of a repository-relative file: those of the last matching rule (none if unmatched). */
export function ownersOf(
  rules: readonly CodeOwnersRule[],
  file: string,
): { rule?: CodeOwnersRule; owners: readonly string[] } {
  for (let i = rules.length - 1; i >= 0; i--) {
    const rule = rules[i] as CodeOwnersRule;
    if (rule.matches(file)) return { rule, owners: rule.owners };
  }
  return { owners: [] };
}

export interface CoverageProblem {
  readonly path: string;
  readonly message: string;
}

/**
 * Checks that every file matching each security-sensitive glob has an owner. `sensitive` maps
 * each glob to the repository files it matches; a glob that matches no file is reported too,
 * since a typo there would silently protect nothing.
 */
export function codeOwnersCoverage(
  rules: readonly CodeOwnersRule[],
  sensitive: ReadonlyMap<string, readonly string[]>,
): CoverageProblem[] {
  const problems: CoverageProblem[] = [];
  for (const [glob, files] of sensitive) {
    if (files.length === 0) {
      problems.push({
        path: glob,
        message: `security-sensitive path ${glob} matches no file in the repository: fix the pattern in the protection config`,
      });
    }
    for (const file of files) {
      const { rule, owners } = ownersOf(rules, file);
      if (owners.length > 0) continue;
      problems.push({
        path: file,
        message: rule
          ? `${file} (security-sensitive: ${glob}) is left without owners by CODEOWNERS line ${rule.line} ("${rule.pattern}" names no owner)`
          : `${file} (security-sensitive: ${glob}) has no code owner: add a CODEOWNERS line that covers it`,
      });
    }
  }
  return problems;
}
