/**
 * Scores the guard on labelled real commits (`npm run eval:noop -- --labels FILE --repo DIR`):
 * each row of a labels file names a repository, a base and a head commit, and the verdict the
 * guard should give (`noop`: flag it; `substantive`: let it through). Reports recall on the no-op
 * rows, false positives on the substantive rows (per repository and per label source), every miss
 * and every false positive with its deciding paths, and the judging throughput (wall time and CPU
 * time of this process; listing the rows and cloning are not timed). The guard never reads the
 * labels, the notes or commit messages.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { AnalysisCache } from './analysis-cache.js';
import { judgeChange } from './change-judgement.js';
import { GitRepository } from './git-object-store.js';
import type { PathDecision } from './path-decision.js';
import type { NoopPolicy } from './policy.js';

export type Label = 'noop' | 'substantive';

export interface LabelledPair {
  readonly repo: string;
  readonly base: string;
  readonly head: string;
  readonly label: Label;
  /** How the label was obtained (e.g. `verified-noop`, `random`); scores are also kept per source. */
  readonly source: string;
  readonly note: string;
}

export interface LabelledVerdict extends LabelledPair {
  readonly verdict: Label;
  /** The paths that decided: every substantive path of a substantive verdict, every path of a no-op. */
  readonly paths: readonly Pick<PathDecision, 'path' | 'reason' | 'detail'>[];
}

export interface LabelScore {
  readonly noopPairs: number;
  readonly noopFlagged: number;
  readonly recall: number;
  readonly substantivePairs: number;
  readonly falsePositives: number;
  readonly falsePositiveRate: number;
}

export interface LabelledReport extends LabelScore {
  readonly pairs: number;
  readonly byRepository: Readonly<Record<string, LabelScore>>;
  readonly bySource: Readonly<Record<string, LabelScore & { readonly pairs: number }>>;
  readonly seconds: number;
  readonly commitsPerSecond: number;
  /**
   * User + system CPU time while judging: this process, plus its finished child processes (`git
   * cat-file`, python3 for docutils) where the platform reports them (Linux `/proc`).
   */
  readonly cpuSeconds: number;
  readonly commitsPerCpuSecond: number;
  readonly misses: readonly LabelledVerdict[];
  readonly falsePositiveCommits: readonly LabelledVerdict[];
}

export interface LabelledEvaluationOptions {
  readonly pairs: readonly LabelledPair[];
  /** The git directory holding each repository named in the labels. */
  readonly repositories: Readonly<Record<string, string>>;
  readonly policy: NoopPolicy;
  readonly onProgress?: (done: number, total: number) => void;
}

export class LabelsError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`labels line ${line}: ${message}`);
    this.name = 'LabelsError';
  }
}

type Column = 'repo' | 'base' | 'head' | 'label' | 'source' | 'note';
const COMMIT = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/** Parses a labels file: a tab-separated header naming at least `repo base head label`, then one row per pair. */
export function parseLabels(tsv: string): LabelledPair[] {
  const lines = tsv.split(/\r?\n/);
  const header = (lines[0] ?? '').split('\t');
  const column = (name: Column): number => header.indexOf(name);
  for (const required of ['repo', 'base', 'head', 'label'] as const)
    if (column(required) < 0)
      throw new LabelsError(1, `the header has no "${required}" column (tab-separated)`);
  const pairs: LabelledPair[] = [];
  lines.slice(1).forEach((line, index) => {
    if (line.trim() === '') return;
    const cells = line.split('\t');
    const cell = (name: Column): string => (column(name) < 0 ? '' : (cells[column(name)] ?? ''));
    const number = index + 2;
    const label = cell('label');
    if (label !== 'noop' && label !== 'substantive')
      throw new LabelsError(
        number,
        `label ${JSON.stringify(label)} is neither noop nor substantive`,
      );
    for (const name of ['base', 'head'] as const)
      if (!COMMIT.test(cell(name)))
        throw new LabelsError(
          number,
          `${name} ${JSON.stringify(cell(name))} is not a full commit id`,
        );
    if (cell('repo') === '') throw new LabelsError(number, 'the repo column is empty');
    pairs.push({
      repo: cell('repo'),
      base: cell('base'),
      head: cell('head'),
      label,
      source: cell('source'),
      note: cell('note'),
    });
  });
  return pairs;
}

export async function evaluateLabelled(
  options: LabelledEvaluationOptions,
): Promise<LabelledReport> {
  const names = [...new Set(options.pairs.map((pair) => pair.repo))];
  const missing = names.filter((name) => options.repositories[name] === undefined);
  if (missing.length > 0) throw new Error(`no repository given for ${missing.join(', ')}`);
  const repositories = new Map<string, GitRepository>();
  try {
    for (const name of names)
      repositories.set(name, await GitRepository.open(options.repositories[name] ?? ''));
    const verdicts: LabelledVerdict[] = [];
    const cache = new AnalysisCache();
    const childrenStart = childCpuSeconds();
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    for (const [index, pair] of options.pairs.entries()) {
      const repository = repositories.get(pair.repo);
      if (repository === undefined) throw new Error(`no repository for ${pair.repo}`);
      const judgement = await judgeChange(repository, pair.base, pair.head, options.policy, cache);
      const deciding =
        judgement.verdict === 'noop'
          ? judgement.paths
          : judgement.paths.filter((p) => p.verdict === 'substantive');
      verdicts.push({
        ...pair,
        verdict: judgement.verdict,
        paths: deciding.map(({ path, reason, detail }) => ({ path, reason, detail })),
      });
      options.onProgress?.(index + 1, options.pairs.length);
    }
    const seconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    for (const repository of repositories.values()) repository.close();
    const cpuSeconds = (cpu.user + cpu.system) / 1e6 + childCpuSeconds() - childrenStart;
    const group = (key: (v: LabelledVerdict) => string): Map<string, LabelledVerdict[]> => {
      const groups = new Map<string, LabelledVerdict[]>();
      for (const v of verdicts) groups.set(key(v), [...(groups.get(key(v)) ?? []), v]);
      return groups;
    };
    return {
      pairs: verdicts.length,
      ...scoreOf(verdicts),
      byRepository: Object.fromEntries(
        [...group((v) => v.repo)].map(([name, vs]) => [name, scoreOf(vs)]),
      ),
      bySource: Object.fromEntries(
        [...group((v) => `${v.label} ${v.source}`)].map(([name, vs]) => [
          name,
          { pairs: vs.length, ...scoreOf(vs) },
        ]),
      ),
      seconds,
      commitsPerSecond: seconds > 0 ? verdicts.length / seconds : 0,
      cpuSeconds,
      commitsPerCpuSecond: cpuSeconds > 0 ? verdicts.length / cpuSeconds : 0,
      misses: verdicts.filter((v) => v.label === 'noop' && v.verdict !== 'noop'),
      falsePositiveCommits: verdicts.filter(
        (v) => v.label === 'substantive' && v.verdict === 'noop',
      ),
    };
  } finally {
    for (const repository of repositories.values()) repository.close();
  }
}

/** CPU seconds of this process's waited-for children (fields cutime and cstime of /proc/self/stat), or 0. */
function childCpuSeconds(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 16 and 17 of the whole line, counted after the command name (field 3 is index 0).
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return 0;
  }
}

function scoreOf(verdicts: readonly LabelledVerdict[]): LabelScore {
  const noops = verdicts.filter((v) => v.label === 'noop');
  const substantives = verdicts.filter((v) => v.label === 'substantive');
  const flagged = noops.filter((v) => v.verdict === 'noop').length;
  const falsePositives = substantives.filter((v) => v.verdict === 'noop').length;
  return {
    noopPairs: noops.length,
    noopFlagged: flagged,
    recall: noops.length === 0 ? 1 : flagged / noops.length,
    substantivePairs: substantives.length,
    falsePositives,
    falsePositiveRate: substantives.length === 0 ? 0 : falsePositives / substantives.length,
  };
}
