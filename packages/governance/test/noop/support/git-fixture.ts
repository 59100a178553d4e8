/**
 * Builds git repositories for the guard's tests with `git fast-import`: one process writes every
 * commit, so a table of cases costs one spawn. Each case is a branch with a `before` and an
 * `after` commit. Also snapshots a repository byte for byte, to prove the guard never writes.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type FileSpec =
  | string
  | Uint8Array
  | { readonly content: string | Uint8Array; readonly mode: '100644' | '100755' }
  | { readonly symlink: string }
  | { readonly submodule: string };

export type Tree = Readonly<Record<string, FileSpec>>;

export interface FixtureCommit {
  readonly branch: string;
  readonly files: Tree;
  /** Index into the commits list of the parent; omitted for a root commit. */
  readonly parent?: number;
  readonly message?: string;
}

/** Environment isolating git from the machine's and the user's configuration. */
export function isolatedGitEnv(home: string): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('GIT_')),
  );
  return {
    ...env,
    HOME: home,
    XDG_CONFIG_HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: path.join(home, 'no-gitconfig'),
    GIT_AUTHOR_NAME: 'Fixture',
    GIT_AUTHOR_EMAIL: 'fixture@example.com',
    GIT_COMMITTER_NAME: 'Fixture',
    GIT_COMMITTER_EMAIL: 'fixture@example.com',
  };
}

export interface FixtureRepository {
  readonly directory: string;
  /** Commit ids, parallel to the commits given. */
  readonly commits: readonly string[];
  git(args: readonly string[], input?: string): string;
  remove(): void;
}

function entry(file: string, spec: FileSpec): Buffer[] {
  const data = (bytes: Buffer): Buffer[] => [
    Buffer.from(`data ${bytes.length}\n`),
    bytes,
    Buffer.from('\n'),
  ];
  const quoted = JSON.stringify(file);
  if (typeof spec === 'string')
    return [Buffer.from(`M 100644 inline ${quoted}\n`), ...data(Buffer.from(spec, 'utf8'))];
  if (spec instanceof Uint8Array)
    return [Buffer.from(`M 100644 inline ${quoted}\n`), ...data(Buffer.from(spec))];
  if ('symlink' in spec)
    return [Buffer.from(`M 120000 inline ${quoted}\n`), ...data(Buffer.from(spec.symlink))];
  if ('submodule' in spec) return [Buffer.from(`M 160000 ${spec.submodule} ${quoted}\n`)];
  const bytes =
    typeof spec.content === 'string'
      ? Buffer.from(spec.content, 'utf8')
      : Buffer.from(spec.content);
  return [Buffer.from(`M ${spec.mode} inline ${quoted}\n`), ...data(bytes)];
}

/** Creates a repository holding `commits` (in order), and checks out `checkout` so index and work tree exist. */
export function createFixtureRepository(
  commits: readonly FixtureCommit[],
  options: { bare?: boolean; checkout?: string; objectFormat?: 'sha1' | 'sha256' } = {},
): FixtureRepository {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'matriz-noop-'));
  const home = mkdtempSync(path.join(os.tmpdir(), 'matriz-noop-home-'));
  const env = isolatedGitEnv(home);
  const git = (args: readonly string[], input?: string | Buffer): string =>
    execFileSync('git', ['-C', directory, ...args], {
      env,
      input: input ?? '',
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
  git([
    'init',
    '-q',
    ...(options.bare === true ? ['--bare'] : []),
    ...(options.objectFormat === undefined ? [] : [`--object-format=${options.objectFormat}`]),
    '-b',
    'main',
  ]);
  const chunks: Buffer[] = [];
  commits.forEach((commit, index) => {
    const message = Buffer.from(commit.message ?? `commit ${index}`);
    chunks.push(
      Buffer.from(
        `commit refs/heads/${commit.branch}\nmark :${index + 1}\ncommitter Fixture <fixture@example.com> ${1_700_000_000 + index} +0000\ndata ${message.length}\n`,
      ),
      message,
      Buffer.from('\n'),
    );
    if (commit.parent !== undefined) chunks.push(Buffer.from(`from :${commit.parent + 1}\n`));
    chunks.push(Buffer.from('deleteall\n'));
    for (const [file, spec] of Object.entries(commit.files)) chunks.push(...entry(file, spec));
    chunks.push(Buffer.from('\n'));
  });
  const marks = path.join(home, 'marks');
  git(['fast-import', '--quiet', `--export-marks=${marks}`], Buffer.concat(chunks));
  const byMark = new Map(
    readFileSync(marks, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const [mark = '', oid = ''] = line.split(' ');
        return [Number(mark.slice(1)), oid] as const;
      }),
  );
  const ids = commits.map((_, index) => byMark.get(index + 1) ?? '');
  if (options.bare !== true && options.checkout !== undefined)
    git(['checkout', '-q', '-f', options.checkout]);
  return {
    directory,
    commits: ids,
    git: (args, input) => git(args, input),
    remove: () => {
      rmSync(directory, { recursive: true, force: true });
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** A digest of every file under `directory` (names, modes, contents, link targets): equal digests, untouched repository. */
export function snapshotDirectory(directory: string): string {
  const hash = createHash('sha256');
  const walk = (relative: string): void => {
    const absolute = path.join(directory, relative);
    for (const name of readdirSync(absolute).sort()) {
      const child = path.join(relative, name);
      const stat = lstatSync(path.join(directory, child));
      hash.update(`${child}\0${stat.mode}\0`);
      if (stat.isSymbolicLink()) hash.update(readlinkSync(path.join(directory, child)));
      else if (stat.isDirectory()) walk(child);
      else hash.update(readFileSync(path.join(directory, child)));
      hash.update('\0');
    }
  };
  walk('');
  return hash.digest('hex');
}
