/**
 * The files a change touches, read from git: the merge base of `base` and `head`, the files
 * added or modified between them (`git diff base...head`, as a pull request shows them), and a
 * file's contents at a revision. Everything goes through `git` itself, so any revision syntax
 * works (`origin/main`, a sha, `HEAD~1`).
 */
import { execFile } from 'node:child_process';

export class GitError extends Error {
  override readonly name = 'GitError';
  readonly code = 'git-failed';
}

const MAX_OUTPUT = 64 * 1024 * 1024;

function git(cwd: string, args: readonly string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      [...args],
      { cwd, encoding: 'buffer', maxBuffer: MAX_OUTPUT },
      (error, stdout, stderr) => {
        if (error) {
          const detail = stderr.toString('utf8').trim() || error.message;
          reject(new GitError(`git ${args.join(' ')}: ${detail}`));
        } else {
          resolve(stdout);
        }
      },
    );
  });
}

/** The commit a revision names (full sha), failing clearly when it does not exist. */
export async function resolveCommit(cwd: string, revision: string): Promise<string> {
  const out = await git(cwd, [
    'rev-parse',
    '--verify',
    '--quiet',
    '--end-of-options',
    `${revision}^{commit}`,
  ]).catch(() => {
    throw new GitError(`${JSON.stringify(revision)} is not a commit in ${cwd}`);
  });
  return out.toString('utf8').trim();
}

export async function mergeBase(cwd: string, base: string, head: string): Promise<string> {
  return (await git(cwd, ['merge-base', base, head])).toString('utf8').trim();
}

/**
 * Paths added, copied, modified or retyped from `from` to `to` (renames count as additions).
 * Submodules are someone else's repository and are not scanned.
 */
export async function changedFiles(cwd: string, from: string, to: string): Promise<string[]> {
  const out = await git(cwd, [
    'diff',
    '--name-only',
    '-z',
    '--no-renames',
    '--ignore-submodules=all',
    '--diff-filter=ACMT',
    from,
    to,
    '--',
  ]);
  return splitNul(out);
}

/** Paths the change deleted or modified: the files whose old contents may hold removed markers. */
export async function filesWithOldContents(
  cwd: string,
  from: string,
  to: string,
): Promise<string[]> {
  const out = await git(cwd, [
    'diff',
    '--name-only',
    '-z',
    '--no-renames',
    '--ignore-submodules=all',
    '--diff-filter=DMT',
    from,
    to,
    '--',
  ]);
  return splitNul(out);
}

/** A file's bytes at a commit. */
export async function fileAtRevision(cwd: string, commit: string, file: string): Promise<Buffer> {
  return git(cwd, ['cat-file', 'blob', `${commit}:${file}`]);
}

/** `git config <key>`, or undefined when unset or outside a repository. */
export async function gitConfig(cwd: string, key: string): Promise<string | undefined> {
  try {
    const value = (await git(cwd, ['config', '--get', key])).toString('utf8').trim();
    return value === '' ? undefined : value;
  } catch {
    return undefined;
  }
}

function splitNul(out: Buffer): string[] {
  return out
    .toString('utf8')
    .split('\0')
    .filter((name) => name !== '');
}
