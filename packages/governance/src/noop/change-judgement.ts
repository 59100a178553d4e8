/**
 * Judges a change (base tree to head tree): one decision per changed path, and the verdict
 * `noop` only when there are no paths (an empty commit) or every path is a no-op.
 */
import { AnalysisCache } from './analysis-cache.js';
import { compareContent } from './content-equality.js';
import type { GitRepository } from './git-object-store.js';
import {
  noop,
  substantive,
  type ContentDecision,
  type PathDecision,
  type Verdict,
} from './path-decision.js';
import type { NoopPolicy } from './policy.js';
import {
  MODE_EXECUTABLE,
  MODE_REGULAR,
  MODE_SUBMODULE,
  MODE_SYMLINK,
  type TreeChange,
} from './tree-change.js';

export interface ChangeJudgement {
  readonly base: string;
  readonly head: string;
  readonly verdict: Verdict;
  /** One decision per changed path, in git's path order. Empty for an empty commit. */
  readonly paths: readonly PathDecision[];
}

/** Blob ids of the empty file, SHA-1 and SHA-256 repositories. */
const EMPTY_BLOBS = new Set([
  'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391',
  '473a0f4c3be8a93681a267e3b1e9a7dcda1185436fe141f7749120a303721813',
]);

export async function judgeChange(
  repository: GitRepository,
  base: string,
  head: string,
  policy: NoopPolicy,
  cache: AnalysisCache = new AnalysisCache(),
): Promise<ChangeJudgement> {
  const changes = await repository.diffTrees(base, head);
  const paths = await Promise.all(
    changes.map((change) => decidePath(repository, change, policy, cache)),
  );
  const verdict: Verdict = paths.every((decision) => decision.verdict === 'noop')
    ? 'noop'
    : 'substantive';
  return { base, head, verdict, paths };
}

async function decidePath(
  repository: GitRepository,
  change: TreeChange,
  policy: NoopPolicy,
  cache: AnalysisCache,
): Promise<PathDecision> {
  const decision = await decideContent(repository, change, policy, cache);
  return {
    path: change.path,
    ...(change.oldPath === undefined ? {} : { oldPath: change.oldPath }),
    status: change.status,
    ...decision,
  };
}

function isRegular(mode: string): boolean {
  return mode === MODE_REGULAR || mode === MODE_EXECUTABLE;
}

async function decideContent(
  repository: GitRepository,
  change: TreeChange,
  policy: NoopPolicy,
  cache: AnalysisCache,
): Promise<ContentDecision> {
  switch (change.status) {
    case 'added':
      return substantive(
        'added',
        EMPTY_BLOBS.has(change.newOid) ? 'an empty file was added' : 'a file was added',
      );
    case 'deleted':
      return substantive(
        'deleted',
        EMPTY_BLOBS.has(change.oldOid) ? 'an empty file was deleted' : 'a file was deleted',
      );
    case 'renamed':
      return decideRename(change, policy);
    case 'type-changed':
      return substantive('type-changed', `mode ${change.oldMode} became ${change.newMode}`);
    case 'modified':
      break;
  }
  if (change.oldMode === MODE_SYMLINK || change.newMode === MODE_SYMLINK)
    return substantive('symlink', 'the target of a symbolic link changed');
  if (change.oldMode === MODE_SUBMODULE || change.newMode === MODE_SUBMODULE)
    return substantive(
      'submodule',
      `submodule moved from ${change.oldOid.slice(0, 12)} to ${change.newOid.slice(0, 12)}`,
    );
  let modeAllowed = false;
  if (change.oldMode !== change.newMode) {
    if (!(
      isRegular(change.oldMode) &&
      isRegular(change.newMode) &&
      policy.allowsModeChange(change.path)
    ))
      return substantive('mode-changed', `mode ${change.oldMode} became ${change.newMode}`);
    modeAllowed = true;
  }
  if (change.oldOid === change.newOid)
    return noop(
      'mode-change-allowed-by-policy',
      `mode ${change.oldMode} became ${change.newMode}, allowed by policy for this path`,
    );
  const [before, after] = await Promise.all([
    repository.readBlob(change.oldOid),
    repository.readBlob(change.newOid),
  ]);
  const decision = compareContent(change.path, before, after, policy, cache);
  if (modeAllowed && decision.verdict === 'noop')
    return {
      ...decision,
      detail: `${decision.detail}; mode ${change.oldMode} became ${change.newMode}, allowed by policy`,
    };
  return decision;
}

function decideRename(change: TreeChange, policy: NoopPolicy): ContentDecision {
  const from = change.oldPath ?? '';
  const similarity = change.similarity ?? 0;
  if (from.toLowerCase() === change.path.toLowerCase())
    return substantive(
      'renamed',
      `case-only rename from ${from}: breaks on case-insensitive checkouts and case-sensitive imports`,
    );
  if (
    similarity === 100 &&
    change.oldMode === change.newMode &&
    policy.allowsRename(from) &&
    policy.allowsRename(change.path)
  )
    return noop(
      'rename-allowed-by-policy',
      `renamed from ${from} with identical content, allowed by policy for this path`,
    );
  return substantive('renamed', `renamed from ${from} (similarity ${similarity} %)`);
}
