/** Throwaway git repositories for the promotion guard's tests. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TestRepository {
  readonly dir: string;
  /** Writes (string) or deletes (null) files, commits, and returns the new commit's sha. */
  commit(files: Record<string, string | null>, message?: string): string;
  git(...args: string[]): string;
  remove(): void;
}

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Ada Tester',
  GIT_AUTHOR_EMAIL: 'ada@example.test',
  GIT_COMMITTER_NAME: 'Ada Tester',
  GIT_COMMITTER_EMAIL: 'ada@example.test',
  GIT_CONFIG_NOSYSTEM: '1',
  HOME: tmpdir(),
};

export function createRepository(): TestRepository {
  const dir = mkdtempSync(path.join(tmpdir(), 'matriz-promotion-'));
  const git = (...args: string[]): string =>
    execFileSync('git', args, { cwd: dir, env: GIT_ENV, encoding: 'utf8' }).trim();
  git('init', '-q', '-b', 'main');
  git('config', 'user.name', 'Ada Tester');
  git('config', 'user.email', 'ada@example.test');
  return {
    dir,
    git,
    commit(files, message = 'change') {
      for (const [file, contents] of Object.entries(files)) {
        const target = path.join(dir, file);
        if (contents === null) {
          rmSync(target);
        } else {
          mkdirSync(path.dirname(target), { recursive: true });
          writeFileSync(target, contents);
        }
      }
      git('add', '-A');
      git('commit', '-q', '--allow-empty', '-m', message);
      return git('rev-parse', 'HEAD');
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
