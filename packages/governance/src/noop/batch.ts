/**
 * Batch judging for evaluations over thousands of commits: one repository handle (one
 * `cat-file` process) and one policy for every `BASE HEAD` pair. Each pair yields one result,
 * or an error value for that pair alone.
 */
import { auditPaths, type AuditPath } from './audit-log.js';
import type { AnalysisCache } from './analysis-cache.js';
import { judgeChange } from './change-judgement.js';
import { GitError, type GitRepository } from './git-object-store.js';
import type { Verdict } from './path-decision.js';
import type { NoopPolicy } from './policy.js';

export type BatchResult =
  | {
      readonly base: string;
      readonly head: string;
      readonly verdict: Verdict;
      readonly paths: readonly AuditPath[];
    }
  | {
      readonly base: string;
      readonly head: string;
      readonly error: { readonly code: string; readonly message: string };
    };

/** Parses `BASE HEAD` lines; blank lines and `#` comments are skipped. A line with one revision means that commit against its first parent. */
export function parseBatchLines(text: string): { base?: string; head: string; line: number }[] {
  const pairs: { base?: string; head: string; line: number }[] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [first = '', second, ...rest] = line.split(/\s+/);
    if (rest.length > 0)
      pairs.push({ base: first, head: `${second ?? ''} ${rest.join(' ')}`, line: index + 1 });
    else if (second === undefined) pairs.push({ head: first, line: index + 1 });
    else pairs.push({ base: first, head: second, line: index + 1 });
  }
  return pairs;
}

export async function judgeBatchPair(
  repository: GitRepository,
  pair: { base?: string; head: string },
  policy: NoopPolicy,
  cache?: AnalysisCache,
): Promise<BatchResult> {
  try {
    const head = await repository.resolveCommit(pair.head);
    const base =
      pair.base === undefined
        ? await repository.firstParentOrEmptyTree(head)
        : await repository.resolveCommit(pair.base);
    const judgement = await judgeChange(repository, base, head, policy, cache);
    return { base, head, verdict: judgement.verdict, paths: auditPaths(judgement.paths) };
  } catch (error) {
    if (error instanceof GitError)
      return {
        base: pair.base ?? '',
        head: pair.head,
        error: { code: error.code, message: error.message },
      };
    throw error;
  }
}
