/** The guard's decision for one changed path, with the reason and where to look. */
import type { Reason } from './reasons.js';
import type { ChangeStatus } from './tree-change.js';

export type Verdict = 'noop' | 'substantive';

export interface PathDecision {
  readonly path: string;
  readonly oldPath?: string;
  readonly status: ChangeStatus;
  readonly verdict: Verdict;
  readonly reason: Reason;
  /** What the guard saw, in words, for people reading the report. */
  readonly detail: string;
  /** 1-based line in the new version (the old one for deletions) where the difference starts. */
  readonly line?: number;
}

/** A content decision before the path is attached. */
export interface ContentDecision {
  readonly verdict: Verdict;
  readonly reason: Reason;
  readonly detail: string;
  readonly line?: number;
}

export function substantive(reason: Reason, detail: string, line?: number): ContentDecision {
  return { verdict: 'substantive', reason, detail, ...(line === undefined ? {} : { line }) };
}

export function noop(reason: Reason, detail: string): ContentDecision {
  return { verdict: 'noop', reason, detail };
}
