/**
 * The published form of matriz-governance: `npm pack` it, install the tarball alone into an
 * empty directory with the real npm (the registry serves its dependencies), and run its bin
 * in a real git repository. Proves the package needs nothing unpublished and pulls in none of
 * the registry's dependencies (docs/governance.md, "Installing the governance tools alone").
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('../../', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** The environment without what an enclosing `npm test` sets for its own package. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env))
    if (!/^npm_/i.test(key) && key !== 'INIT_CWD') env[key] = value;
  return env;
}

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', args, {
    cwd,
    env: {
      ...cleanEnv(),
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.org',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.org',
    },
    stdio: 'ignore',
  });
}

describe('matriz-governance installed alone from its npm pack tarball', () => {
  let work: string;
  let installDir: string;
  let repo: string;

  beforeAll(() => {
    work = mkdtempSync(path.join(os.tmpdir(), 'matriz-governance-pack-'));
    const packed = JSON.parse(
      execFileSync(npm, ['pack', '--json', '--pack-destination', work], {
        cwd: packageDir,
        env: cleanEnv(),
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    ) as [{ filename: string }];
    const tarball = path.join(work, packed[0].filename);

    installDir = path.join(work, 'empty');
    mkdirSync(installDir);
    execFileSync(
      npm,
      ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'],
      { cwd: installDir, env: cleanEnv(), stdio: 'ignore' },
    );

    repo = path.join(work, 'repo');
    mkdirSync(repo);
    git(repo, 'init', '-q');
    writeFileSync(path.join(repo, 'a.ts'), 'export const a = 1;\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'one');
    writeFileSync(path.join(repo, 'a.ts'), 'export const a  =  1 ;\n');
    git(repo, 'commit', '-q', '-a', '-m', 'reformat');
  }, 240_000);

  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('runs `matriz-governance guard noop HEAD` and judges a reformatting a no-op (exit 1)', () => {
    const bin = path.join(installDir, 'node_modules', '.bin', 'matriz-governance');
    const run = spawnSync(bin, ['guard', 'noop', 'HEAD'], {
      cwd: repo,
      env: cleanEnv(),
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(
      'M a.ts: no-op: JavaScript/TypeScript: equal once formatting is set aside [equal-syntax-tree]',
    );
    expect(run.stdout).toContain('noop guard: NO-OP: 1 changed path, none of substance');
    expect(existsSync(path.join(repo, '.matriz', 'audit', 'noop-guard.jsonl'))).toBe(true);
  });

  it('installs none of the registry or its storage and server dependencies', () => {
    const installed = readdirSync(path.join(installDir, 'node_modules'));
    expect(installed).toContain('matriz-governance');
    expect(installed).toContain('typescript');
    for (const name of ['matriz', 'better-sqlite3', 'pg', 'fastify', '@fastify', '@oqs'])
      expect(installed).not.toContain(name);
  });
});
