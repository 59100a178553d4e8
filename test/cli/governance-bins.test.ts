/**
 * One implementation, two binaries: `matriz guard|gates|github` and `matriz-governance` run the
 * governance package's command groups, so the same change gets the same report, byte for byte
 * (the run id aside, which is fresh per run), and the same exit code.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../support/cli.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const MATRIZ = path.join(root, 'bin', 'matriz.js');
const GOVERNANCE = path.join(root, 'packages', 'governance', 'bin', 'matriz-governance.js');

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', args, {
    cwd,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.org',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.org',
    },
    stdio: 'ignore',
  });
}

function run(bin: string, cwd: string, args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8' });
  const withoutRunId = (text: string) => text.replace(/\b[0-9a-f]{32}\b/g, '<run>');
  return {
    status: result.status,
    stdout: withoutRunId(result.stdout),
    stderr: withoutRunId(result.stderr),
  };
}

describe('matriz and matriz-governance', () => {
  let repo: string;

  beforeAll(() => {
    repo = mkdtempSync(path.join(os.tmpdir(), 'matriz-bins-'));
    git(repo, 'init', '-q');
    writeFileSync(path.join(repo, 'a.ts'), 'export const a = 1;\n');
    writeFileSync(path.join(repo, 'b.py'), 'x = 1\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'one');
    writeFileSync(path.join(repo, 'a.ts'), 'export const a  =  1 ;\n');
    writeFileSync(path.join(repo, 'b.py'), 'x = 2\n');
    git(repo, 'commit', '-q', '-a', '-m', 'two');
  });

  afterAll(() => {
    rmSync(repo, { recursive: true, force: true });
  });

  it('print the same No-Op guard report with the same exit code for the same change', () => {
    const args = ['guard', 'noop', 'HEAD', '--no-audit-log'];
    const viaMatriz = run(MATRIZ, repo, args);
    const viaGovernance = run(GOVERNANCE, repo, args);
    expect(viaMatriz.status).toBe(0);
    expect(viaMatriz.stdout).toContain('b.py:1: substantive');
    expect(viaGovernance).toEqual(viaMatriz);
  });

  it('write the same SARIF for the same change', () => {
    const args = ['guard', 'noop', 'HEAD', '--no-audit-log', '--format', 'sarif'];
    const viaMatriz = run(MATRIZ, repo, args);
    expect(viaMatriz.stdout).toContain('"name": "matriz guard noop"');
    expect(run(GOVERNANCE, repo, args)).toEqual(viaMatriz);
  });

  it('refuse the same bad usage with exit 2, each naming itself', () => {
    const args = ['guard', 'noop', 'no-such-revision', '--no-audit-log'];
    const viaMatriz = run(MATRIZ, repo, args);
    const viaGovernance = run(GOVERNANCE, repo, args);
    expect(viaMatriz.status).toBe(2);
    expect(viaGovernance.status).toBe(2);
    expect(viaGovernance.stderr).toBe(viaMatriz.stderr.replace(/^matriz:/gm, 'matriz-governance:'));
  });

  it('keeps `matriz --help` listing guard, gates and github where they were', async () => {
    const io = captureIo();
    expect(await main(['--help'], io)).toBe(0);
    const commands = [...io.out().matchAll(/^ {2}([a-z-]+)/gm)].map((m) => m[1]);
    expect(commands.slice(commands.indexOf('verify'), commands.indexOf('keys') + 1)).toEqual([
      'verify',
      'guard',
      'gates',
      'github',
      'keys',
    ]);
  });
});
