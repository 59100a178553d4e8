/**
 * One changed path between two trees, in the terms of `git diff-tree --raw` (git-diff-tree(1),
 * "RAW OUTPUT FORMAT"): modes, blob ids, a status with a similarity for renames, the path(s).
 */
export type ChangeStatus = 'added' | 'deleted' | 'modified' | 'renamed' | 'type-changed';

export interface TreeChange {
  readonly status: ChangeStatus;
  readonly path: string;
  /** The source path of a rename. */
  readonly oldPath?: string;
  readonly oldMode: string;
  readonly newMode: string;
  readonly oldOid: string;
  readonly newOid: string;
  /** Similarity percentage of a rename. */
  readonly similarity?: number;
}

export const MODE_REGULAR = '100644';
export const MODE_EXECUTABLE = '100755';
export const MODE_SYMLINK = '120000';
export const MODE_SUBMODULE = '160000';
