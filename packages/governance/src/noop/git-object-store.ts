/**
 * Read-only access to a git repository through its object store: `rev-parse` to name commits,
 * `diff-tree` to compare trees, one long-lived `cat-file --batch` to read blobs. Nothing here
 * writes: no index, no work tree, no refs, no objects (`hash-object` runs without `-w`), and
 * `GIT_OPTIONAL_LOCKS=0` keeps git from refreshing anything opportunistically. Works on bare
 * repositories.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { MODE_SUBMODULE, MODE_SYMLINK, type TreeChange } from './tree-change.js';

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

interface GitObject {
  readonly oid: string;
  readonly type: string;
  readonly body: Uint8Array;
}

interface PendingObject {
  readonly name: string;
  readonly resolve: (object: GitObject | undefined) => void;
  readonly reject: (error: Error) => void;
}

/** One `git cat-file --batch` process answering object requests in order. */
class ObjectReader {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending: PendingObject[] = [];
  private chunks: Buffer[] = [];
  private buffered = 0;
  private closed = false;

  constructor(directory: string) {
    this.child = spawn('git', ['-C', directory, 'cat-file', '--batch'], {
      env: gitEnvironment(),
      stdio: 'pipe',
    });
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
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

  /** The object `name` names (an id or any revision expression), or undefined when there is none. */
  read(name: string): Promise<GitObject | undefined> {
    if (this.closed)
      return Promise.reject(new GitError('git-failed', 'git cat-file is not running'));
    if (/[\n\r]/.test(name)) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      this.pending.push({ name, resolve, reject });
      this.child.stdin.write(`${name}\n`);
    });
  }

  private drain(): void {
    for (;;) {
      const request = this.pending[0];
      if (request === undefined) return;
      const buffer =
        this.chunks.length === 1 ? (this.chunks[0] ?? Buffer.alloc(0)) : Buffer.concat(this.chunks);
      this.chunks = [buffer];
      const newline = buffer.indexOf(10);
      if (newline < 0) return;
      const header = buffer.subarray(0, newline).toString('utf8');
      const [oid = '', type = '', sizeText] = header.split(' ');
      if (sizeText === undefined) {
        // "<name> missing" or "<name> ambiguous"
        this.consume(buffer, newline + 1);
        this.pending.shift();
        request.resolve(undefined);
        continue;
      }
      const size = Number(sizeText);
      if (buffer.length < newline + 1 + size + 1) return;
      const body = Uint8Array.prototype.slice.call(buffer, newline + 1, newline + 1 + size);
      this.consume(buffer, newline + 1 + size + 1);
      this.pending.shift();
      request.resolve({ oid, type, body });
    }
  }

  private consume(buffer: Buffer, length: number): void {
    const rest = buffer.subarray(length);
    this.chunks = rest.length === 0 ? [] : [rest];
    this.buffered = rest.length;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.child.stdin.end();
  }
}

interface TreeEntry {
  readonly mode: string;
  readonly oid: string;
}

const MODE_TREE = '040000';

/** Parses a tree object: `<mode> SP <name> NUL <raw id>` entries (gitformat-tree). */
function parseTree(body: Uint8Array, idLength: number): Map<string, TreeEntry> {
  const entries = new Map<string, TreeEntry>();
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  let pos = 0;
  while (pos < bytes.length) {
    const space = bytes.indexOf(32, pos);
    const nul = bytes.indexOf(0, space);
    if (space < 0 || nul < 0) throw new GitError('git-failed', 'malformed tree object');
    const mode = bytes.subarray(pos, space).toString('latin1').padStart(6, '0');
    const name = bytes.subarray(space + 1, nul).toString('utf8');
    const oid = bytes.subarray(nul + 1, nul + 1 + idLength).toString('hex');
    entries.set(name, { mode, oid });
    pos = nul + 1 + idLength;
  }
  return entries;
}

function fileKind(mode: string): string {
  if (mode === MODE_SYMLINK) return 'symlink';
  if (mode === MODE_SUBMODULE) return 'submodule';
  return 'file';
}

export class GitRepository {
  private objects: ObjectReader | undefined;
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

  private reader(): ObjectReader {
    this.objects ??= new ObjectReader(this.directory);
    return this.objects;
  }

  /** The full id of the commit `revision` names (any revision expression git accepts). */
  async resolveCommit(revision: string): Promise<string> {
    const object =
      revision.trim() === '' ? undefined : await this.reader().read(`${revision}^{commit}`);
    if (object?.type !== 'commit')
      throw new GitError(
        'unknown-revision',
        `${JSON.stringify(revision)} does not name a commit in ${this.directory}`,
      );
    return object.oid;
  }

  /** The first parent of `commit`, or the empty tree for a root commit. */
  async firstParentOrEmptyTree(commit: string): Promise<string> {
    const object = await this.reader().read(commit);
    if (object?.type !== 'commit')
      throw new GitError('unknown-revision', `${commit} is not a commit in ${this.directory}`);
    const header = Buffer.from(object.body).toString('utf8', 0, Math.min(object.body.length, 4096));
    const parent = /^parent ([0-9a-f]+)$/m.exec(header.slice(0, header.indexOf('\n\n') >>> 0));
    return parent?.[1] ?? this.emptyTree();
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

  /**
   * Every changed path between two tree-ishes (commits or trees), read from the object store
   * like `git diff-tree -r`: unchanged subtrees are skipped by id. A deleted and an added file
   * with the same blob and file kind are reported as a rename with similarity 100 (git's exact
   * rename detection); any other move is a deletion and an addition, substantive either way.
   */
  async diffTrees(base: string, head: string): Promise<TreeChange[]> {
    const [baseTree, headTree] = await Promise.all([this.treeOf(base), this.treeOf(head)]);
    const changes: TreeChange[] = [];
    await this.diffTreeObjects(baseTree, headTree, '', changes);
    return pairExactRenames(changes).sort((a, b) =>
      a.path < b.path ? -1 : a.path > b.path ? 1 : 0,
    );
  }

  private async treeOf(treeish: string): Promise<string | undefined> {
    if (treeish === (await this.emptyTree())) return undefined;
    const object = await this.reader().read(`${treeish}^{tree}`);
    if (object?.type !== 'tree')
      throw new GitError('unknown-revision', `${treeish} names no tree in ${this.directory}`);
    return object.oid;
  }

  private async readTree(oid: string | undefined): Promise<Map<string, TreeEntry>> {
    if (oid === undefined) return new Map();
    const object = await this.reader().read(oid);
    if (object?.type !== 'tree') throw new GitError('git-failed', `tree ${oid} is missing`);
    return parseTree(object.body, oid.length / 2);
  }

  private async diffTreeObjects(
    before: string | undefined,
    after: string | undefined,
    prefix: string,
    changes: TreeChange[],
  ): Promise<void> {
    const [oldEntries, newEntries] = await Promise.all([
      this.readTree(before),
      this.readTree(after),
    ]);
    const names = new Set([...oldEntries.keys(), ...newEntries.keys()]);
    for (const name of names) {
      let oldEntry = oldEntries.get(name);
      let newEntry = newEntries.get(name);
      if (oldEntry?.oid === newEntry?.oid && oldEntry?.mode === newEntry?.mode) continue;
      const path = `${prefix}${name}`;
      if (oldEntry?.mode === MODE_TREE || newEntry?.mode === MODE_TREE) {
        await this.diffTreeObjects(
          oldEntry?.mode === MODE_TREE ? oldEntry.oid : undefined,
          newEntry?.mode === MODE_TREE ? newEntry.oid : undefined,
          `${path}/`,
          changes,
        );
        if (oldEntry?.mode === MODE_TREE) oldEntry = undefined;
        if (newEntry?.mode === MODE_TREE) newEntry = undefined;
      }
      const zero = '0'.repeat((before ?? after ?? '').length || 40);
      if (oldEntry && newEntry) {
        const status =
          fileKind(oldEntry.mode) === fileKind(newEntry.mode) ? 'modified' : 'type-changed';
        changes.push({
          status,
          path,
          oldMode: oldEntry.mode,
          newMode: newEntry.mode,
          oldOid: oldEntry.oid,
          newOid: newEntry.oid,
        });
      } else if (oldEntry) {
        changes.push({
          status: 'deleted',
          path,
          oldMode: oldEntry.mode,
          newMode: '000000',
          oldOid: oldEntry.oid,
          newOid: zero,
        });
      } else if (newEntry) {
        changes.push({
          status: 'added',
          path,
          oldMode: '000000',
          newMode: newEntry.mode,
          oldOid: zero,
          newOid: newEntry.oid,
        });
      }
    }
  }

  /**
   * Non-merge commits reachable from `revision`, oldest first, at most `limit` (the newest):
   * each as `<id>NUL<message>`, separated by RS (0x1e).
   */
  async log(revision: string, limit?: number): Promise<string> {
    const args = [
      'log',
      '--no-merges',
      '--reverse',
      '--format=%H%x00%B%x1e',
      ...(limit === undefined ? [] : [`--max-count=${limit}`]),
      '--end-of-options',
      revision,
    ];
    const result = await runGit(this.directory, args);
    if (result.status !== 0)
      throw new GitError('unknown-revision', `git log failed: ${result.stderr.trim()}`);
    return result.stdout.toString('utf8');
  }

  /** The bytes of `file` in the tree of `revision`, or undefined when there is no such file. */
  async readFileAt(revision: string, file: string): Promise<Uint8Array | undefined> {
    const object = await this.reader().read(`${revision}:${file}`);
    return object?.type === 'blob' ? object.body : undefined;
  }

  async readBlob(oid: string): Promise<Uint8Array> {
    const object = await this.reader().read(oid);
    if (object?.type !== 'blob')
      throw new GitError('unknown-revision', `object ${oid} is not a file in ${this.directory}`);
    return object.body;
  }

  close(): void {
    this.objects?.close();
    this.objects = undefined;
  }
}

/** Pairs deletions and additions of the same blob and file kind into renames (similarity 100). */
function pairExactRenames(changes: TreeChange[]): TreeChange[] {
  const added = new Map<string, TreeChange[]>();
  for (const change of changes)
    if (change.status === 'added') {
      const key = `${fileKind(change.newMode)} ${change.newOid}`;
      added.set(key, [...(added.get(key) ?? []), change]);
    }
  const paired = new Set<TreeChange>();
  const result: TreeChange[] = [];
  for (const change of changes) {
    if (change.status !== 'deleted') continue;
    const candidates = added.get(`${fileKind(change.oldMode)} ${change.oldOid}`);
    const target = candidates?.find((c) => !paired.has(c));
    if (target === undefined) continue;
    paired.add(target);
    paired.add(change);
    result.push({
      status: 'renamed',
      path: target.path,
      oldPath: change.path,
      oldMode: change.oldMode,
      newMode: target.newMode,
      oldOid: change.oldOid,
      newOid: target.newOid,
      similarity: 100,
    });
  }
  return [...changes.filter((c) => !paired.has(c)), ...result];
}
