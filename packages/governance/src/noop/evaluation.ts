/**
 * The evaluation harness behind `npm run eval:noop`: judges every non-merge commit of a
 * repository against its first parent, counts verdicts and reasons, lists every flag, and
 * measures commits per second (judging only; listing the history is not timed). When a commit
 * message carries a `Noop-Eval: <noop|substantive> <transform>` trailer (the generated corpus
 * does), the verdicts are scored: recall per no-op transform and false positives per
 * substantive transform. The guard itself never reads commit messages.
 */
import { performance } from 'node:perf_hooks';
import { AnalysisCache } from './analysis-cache.js';
import { judgeChange } from './change-judgement.js';
import { GitRepository } from './git-object-store.js';
import type { NoopPolicy } from './policy.js';

export interface EvaluatedCommit {
  readonly commit: string;
  readonly subject: string;
  readonly verdict: 'noop' | 'substantive';
  readonly reasons: readonly string[];
  readonly expected?: { readonly verdict: 'noop' | 'substantive'; readonly transform: string };
}

export interface TransformScore {
  readonly transform: string;
  readonly expected: 'noop' | 'substantive';
  readonly commits: number;
  /** Commits whose verdict matched the expectation. */
  readonly correct: number;
}

export interface EvaluationReport {
  readonly repository: string;
  readonly commits: number;
  readonly flagged: number;
  readonly substantive: number;
  readonly seconds: number;
  readonly commitsPerSecond: number;
  readonly reasons: Readonly<Record<string, number>>;
  readonly flags: readonly EvaluatedCommit[];
  /** Present when commits carry `Noop-Eval` trailers. */
  readonly scored?: {
    readonly transforms: readonly TransformScore[];
    readonly noopCommits: number;
    readonly noopFlagged: number;
    readonly recall: number;
    readonly substantiveCommits: number;
    readonly falsePositives: number;
    readonly falsePositiveRate: number;
    readonly misses: readonly EvaluatedCommit[];
    readonly falsePositiveCommits: readonly EvaluatedCommit[];
  };
}

export interface EvaluationOptions {
  readonly repository: string;
  readonly revision?: string;
  readonly limit?: number;
  readonly policy: NoopPolicy;
  readonly onProgress?: (done: number, total: number) => void;
}

const TRAILER = /^Noop-Eval:\s*(noop|substantive)\s+(\S+)\s*$/m;

interface HistoryEntry {
  readonly commit: string;
  readonly subject: string;
  readonly expected?: { readonly verdict: 'noop' | 'substantive'; readonly transform: string };
}

export function parseHistory(log: string): HistoryEntry[] {
  return log
    .split('\u001e')
    .map((entry) => entry.replace(/^\n/, ''))
    .filter((entry) => entry !== '')
    .map((entry) => {
      const [commit = '', body = ''] = entry.split('\u0000');
      const match = TRAILER.exec(body);
      return {
        commit,
        subject: body.split('\n')[0] ?? '',
        ...(match
          ? { expected: { verdict: match[1] as 'noop' | 'substantive', transform: match[2] ?? '' } }
          : {}),
      };
    });
}

export async function evaluateHistory(options: EvaluationOptions): Promise<EvaluationReport> {
  const repository = await GitRepository.open(options.repository);
  try {
    const history = parseHistory(await repository.log(options.revision ?? 'HEAD', options.limit));
    const evaluated: EvaluatedCommit[] = [];
    const reasons: Record<string, number> = {};
    const cache = new AnalysisCache();
    const start = performance.now();
    for (const [index, entry] of history.entries()) {
      const base = await repository.firstParentOrEmptyTree(entry.commit);
      const judgement = await judgeChange(repository, base, entry.commit, options.policy, cache);
      for (const p of judgement.paths) reasons[p.reason] = (reasons[p.reason] ?? 0) + 1;
      evaluated.push({
        commit: entry.commit,
        subject: entry.subject,
        verdict: judgement.verdict,
        reasons: [...new Set(judgement.paths.map((p) => p.reason))],
        ...(entry.expected ? { expected: entry.expected } : {}),
      });
      options.onProgress?.(index + 1, history.length);
    }
    const seconds = (performance.now() - start) / 1000;
    const flags = evaluated.filter((e) => e.verdict === 'noop');
    return {
      repository: options.repository,
      commits: evaluated.length,
      flagged: flags.length,
      substantive: evaluated.length - flags.length,
      seconds,
      commitsPerSecond: seconds > 0 ? evaluated.length / seconds : 0,
      reasons,
      flags,
      ...scoreOf(evaluated),
    };
  } finally {
    repository.close();
  }
}

function scoreOf(evaluated: readonly EvaluatedCommit[]): Pick<EvaluationReport, 'scored'> {
  const labelled = evaluated.filter((e) => e.expected !== undefined);
  if (labelled.length === 0) return {};
  const byTransform = new Map<
    string,
    { expected: 'noop' | 'substantive'; commits: number; correct: number }
  >();
  for (const e of labelled) {
    const expected = e.expected;
    if (expected === undefined) continue;
    const key = `${expected.verdict} ${expected.transform}`;
    const score = byTransform.get(key) ?? { expected: expected.verdict, commits: 0, correct: 0 };
    score.commits++;
    if (e.verdict === expected.verdict) score.correct++;
    byTransform.set(key, score);
  }
  const noops = labelled.filter((e) => e.expected?.verdict === 'noop');
  const substantives = labelled.filter((e) => e.expected?.verdict === 'substantive');
  const misses = noops.filter((e) => e.verdict !== 'noop');
  const falsePositiveCommits = substantives.filter((e) => e.verdict === 'noop');
  return {
    scored: {
      transforms: [...byTransform.entries()]
        .map(([key, score]) => ({ transform: key.slice(key.indexOf(' ') + 1), ...score }))
        .sort((a, b) =>
          a.expected === b.expected
            ? a.transform.localeCompare(b.transform)
            : a.expected === 'noop'
              ? -1
              : 1,
        ),
      noopCommits: noops.length,
      noopFlagged: noops.length - misses.length,
      recall: noops.length === 0 ? 1 : (noops.length - misses.length) / noops.length,
      substantiveCommits: substantives.length,
      falsePositives: falsePositiveCommits.length,
      falsePositiveRate:
        substantives.length === 0 ? 0 : falsePositiveCommits.length / substantives.length,
      misses,
      falsePositiveCommits,
    },
  };
}
