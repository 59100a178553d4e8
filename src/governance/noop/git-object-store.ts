/**
 * Read-only access to a git repository through its object store: `rev-parse` to name commits,
 * `diff-tree` to compare trees, one long-lived `cat-file --batch` to read blobs. Nothing here
 * writes: no index, no work tree, no refs, no objects (`hash-object` runs without `-w`), and
 * `GIT_OPTIONAL_LOCKS=0` keeps git from refreshing anything opportunistically. Works on bare
 * repositories.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { parseRawDiff, type TreeChange } from './tree-change.js';

export type GitErrorCode = 'not-a-repository' | 'unknown-revision' | 'git-failed';

export class GitError extends Error {
  override readonly name = 'GitError';
  constructor(
    readonly code: GitErrorCode,
    message: string,
  ) {
    super(message);
  }
}

interface GitOutput {
  readonly status: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** Variables that would point git at another repository, index or work tree than the one asked for. */
const REDIRECTING_VARIABLES = new Set([
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_PREFIX',
  'GIT_NAMESPACE',
  'GIT_CEILING_DIRECTORIES',
]);

function gitEnvironment(): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(
    ([name]) => !REDIRECTING_VARIABLES.has(name),
  );
  return {
    ...Object.fromEntries(inherited),
    GIT_OPTIONAL_LOCKS: '0',
    GIT_TERMINAL_PROMPT: '0',
    LC_ALL: 'C',
  };
}

function runGit(directory: string, args: readonly string[], input?: string): Promise<GitOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['-C', directory, ...args], {
      env: gitEnvironment(),
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (status) => {
      resolve({
        status: status ?? 1,
        stdout: Buffer.concat(stdout),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
    if (input !== undefined && child.stdin !== null) {
      child.stdin.on('error', () => undefined);
      child.stdin.end(input);
    }
  });
}

interface PendingBlob {
  readonly oid: string;
  readonly resolve: (bytes: Uint8Array) => void;
  readonly reject: (error: Error) => void;
}

/** One `git cat-file --batch` process answering blob requests in order. */
class BlobReader {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending: PendingBlob[] = [];
  private buffer: Buffer = Buffer.alloc(0);
  private closed = false;

  constructor(directory: string) {
    this.child = spawn('git', ['-C', directory, 'cat-file', '--batch'], {
      env: gitEnvironment(),
      stdio: 'pipe',
    });
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.drain();
    });
    this.child.stderr.resume();
    this.child.stdin.on('error', () => undefined);
    const fail = (error: Error): void => {
      this.closed = true;
      for (const request of this.pending.splice(0)) request.reject(error);
    };
    this.child.on('error', fail);
    this.child.on('close', () => {
      fail(new GitError('git-failed', 'git cat-file exited'));
    });
  }

  read(oid: string): Promise<Uint8Array> {
    if (this.closed)
      return Promise.reject(new GitError('git-failed', 'git cat-file is not running'));
    return new Promise((resolve, reject) => {
      this.pending.push({ oid, resolve, reject });
      this.child.stdin.write(`${oid}\n`);
    });
  }

  private drain(): void {
    for (;;) {
      const request = this.pending[0];
      if (request === undefined) return;
      const newline = this.buffer.indexOf(10);
      if (newline < 0) return;
      const header = this.buffer.subarray(0, newline).toString('utf8');
      if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
        this.buffer = this.buffer.subarray(newline + 1);
        this.pending.shift();
        request.reject(
          new GitError('unknown-revision', `object ${request.oid} is not in the repository`),
        );
        continue;
      }
      const [, type = '', sizeText = ''] = header.split(' ');
      const size = Number(sizeText);
      if (this.buffer.length < newline + 1 + size + 1) return;
      const body = Uint8Array.prototype.slice.call(this.buffer, newline + 1, newline + 1 + size);
      this.buffer = this.buffer.subarray(newline + 1 + size + 1);
      this.pending.shift();
      if (type === 'blob') request.resolve(body);
      else
        request.reject(
          new GitError('unknown-revision', `object ${request.oid} is a ${type}, not a file`),
        );
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.child.stdin.end();
  }
}

export class GitRepository {
  private blobs: BlobReader | undefined;
  private emptyTreeOid: string | undefined;

  private constructor(readonly directory: string) {}

  /** Opens the repository at (or above) `directory`; bare repositories too. */
  static async open(directory: string): Promise<GitRepository> {
    const result = await runGit(directory, ['rev-parse', '--git-dir']);
    if (result.status !== 0)
      throw new GitError(
        'not-a-repository',
        `${directory} is not a git repository: ${result.stderr.trim()}`,
      );
    return new GitRepository(directory);
  }

  /** The full id of the commit `revision` names. */
  async resolveCommit(revision: string): Promise<string> {
    const result = await runGit(this.directory, [
      'rev-parse',
      '--verify',
      '--quiet',
      '--end-of-options',
      `${revision}^{commit}`,
    ]);
    const oid = result.stdout.toString('utf8').trim();
    if (result.status !== 0 || oid === '')
      throw new GitError(
        'unknown-revision',
        `${JSON.stringify(revision)} does not name a commit in ${this.directory}`,
      );
    return oid;
  }

  /** The first parent of `commit`, or the empty tree for a root commit. */
  async firstParentOrEmptyTree(commit: string): Promise<string> {
    const result = await runGit(this.directory, [
      'rev-parse',
      '--verify',
      '--quiet',
      '--end-of-options',
      `${commit}^1`,
    ]);
    const parent = result.stdout.toString('utf8').trim();
    if (result.status === 0 && parent !== '') return parent;
    return this.emptyTree();
  }

  /** The id of the empty tree in this repository's hash function, computed without writing it. */
  async emptyTree(): Promise<string> {
    if (this.emptyTreeOid !== undefined) return this.emptyTreeOid;
    const result = await runGit(this.directory, ['hash-object', '-t', 'tree', '--stdin'], '');
    if (result.status !== 0)
      throw new GitError('git-failed', `git hash-object failed: ${result.stderr.trim()}`);
    this.emptyTreeOid = result.stdout.toString('utf8').trim();
    return this.emptyTreeOid;
  }

  /** Every changed path between two tree-ishes, renames and copies detected (`-M -C`). */
  async diffTrees(base: string, head: string): Promise<TreeChange[]> {
    const result = await runGit(this.directory, [
      'diff-tree',
      '-r',
      '-z',
      '--raw',
      '--no-abbrev',
      '--no-commit-id',
      '-M',
      '-C',
      '--end-of-options',
      base,
      head,
    ]);
    if (result.status !== 0)
      throw new GitError('git-failed', `git diff-tree failed: ${result.stderr.trim()}`);
    return parseRawDiff(result.stdout.toString('utf8'));
  }

  /** Non-merge commits reachable from `revision`, newest first, at most `limit`. */
  async nonMergeCommits(revision: string, limit?: number): Promise<string[]> {
    const args = [
      'rev-list',
      '--no-merges',
      ...(limit === undefined ? [] : [`--max-count=${limit}`]),
      '--end-of-options',
      revision,
    ];
    const result = await runGit(this.directory, args);
    if (result.status !== 0)
      throw new GitError('unknown-revision', `git rev-list failed: ${result.stderr.trim()}`);
    return result.stdout
      .toString('utf8')
      .split('\n')
      .filter((line) => line !== '');
  }

  /** The bytes of `file` in the tree of `revision`, or undefined when there is no such file. */
  async readFileAt(revision: string, file: string): Promise<Uint8Array | undefined> {
    const result = await runGit(this.directory, [
      'rev-parse',
      '--verify',
      '--quiet',
      '--end-of-options',
      `${revision}:${file}`,
    ]);
    const oid = result.stdout.toString('utf8').trim();
    if (result.status !== 0 || oid === '') return undefined;
    return this.readBlob(oid);
  }

  readBlob(oid: string): Promise<Uint8Array> {
    this.blobs ??= new BlobReader(this.directory);
    return this.blobs.read(oid);
  }

  close(): void {
    this.blobs?.close();
    this.blobs = undefined;
  }
}
