/**
 * One changed path between two trees, as `git diff-tree -z --raw` reports it (git-diff-tree(1),
 * "RAW OUTPUT FORMAT"): modes, blob ids, a status letter with a similarity score for renames and
 * copies, and the path(s).
 */
export type ChangeStatus =
  'added' | 'deleted' | 'modified' | 'renamed' | 'copied' | 'type-changed' | 'unmerged' | 'unknown';

export interface TreeChange {
  readonly status: ChangeStatus;
  readonly path: string;
  /** The source path of a rename or copy. */
  readonly oldPath?: string;
  readonly oldMode: string;
  readonly newMode: string;
  readonly oldOid: string;
  readonly newOid: string;
  /** Similarity percentage of a rename or copy. */
  readonly similarity?: number;
}

const STATUS: Record<string, ChangeStatus> = {
  A: 'added',
  D: 'deleted',
  M: 'modified',
  R: 'renamed',
  C: 'copied',
  T: 'type-changed',
  U: 'unmerged',
  X: 'unknown',
};

export const MODE_REGULAR = '100644';
export const MODE_EXECUTABLE = '100755';
export const MODE_SYMLINK = '120000';
export const MODE_SUBMODULE = '160000';

/** Parses `git diff-tree -z -r --raw` output. Throws on output that is not in that format. */
export function parseRawDiff(output: string): TreeChange[] {
  const fields = output.split('\0');
  const changes: TreeChange[] = [];
  let i = 0;
  while (i < fields.length) {
    const header = fields[i++] ?? '';
    if (header === '') continue;
    const match = /^:(\d{6}) (\d{6}) ([0-9a-f]+) ([0-9a-f]+) ([A-Z])(\d*)$/.exec(header);
    if (!match)
      throw new Error(`unexpected git diff-tree output: ${JSON.stringify(header.slice(0, 80))}`);
    const [, oldMode = '', newMode = '', oldOid = '', newOid = '', letter = '', score = ''] = match;
    const status = STATUS[letter] ?? 'unknown';
    const first = fields[i++] ?? '';
    if (status === 'renamed' || status === 'copied') {
      const second = fields[i++] ?? '';
      changes.push({
        status,
        path: second,
        oldPath: first,
        oldMode,
        newMode,
        oldOid,
        newOid,
        similarity: Number(score),
      });
    } else {
      changes.push({ status, path: first, oldMode, newMode, oldOid, newOid });
    }
  }
  return changes;
}
