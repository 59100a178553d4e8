import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { gitHubIssueStates } from '../../src/promotion/issue-state.js';
import { captureIo } from '../support/cli.js';
import { startFakeGitHub, type FakeGitHub } from '../github/fake-github.js';
import { createRepository, type TestRepository } from './git-repository.js';

let github: FakeGitHub;
beforeEach(async () => {
  github = await startFakeGitHub();
  github.issues.set('acme/registry#12', 'open');
  github.issues.set('acme/registry#13', 'closed');
});
afterEach(async () => {
  await github.close();
  expect(github.violations).toEqual([]);
});

describe('tracking issue states from the GitHub REST API', () => {
  it('reads open and closed issues, and calls a missing issue unknown with the reason', async () => {
    const states = gitHubIssueStates({
      token: 'test-token',
      repository: 'acme/registry',
      baseUrl: github.url,
    });
    expect(await states(12)).toEqual({ state: 'open' });
    expect(await states(13)).toEqual({ state: 'closed' });
    expect(await states(14)).toEqual({
      state: 'unknown',
      reason: 'issue #14 does not exist in acme/registry, or the token cannot read it',
    });
    expect(github.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /repos/acme/registry/issues/12',
      'GET /repos/acme/registry/issues/13',
      'GET /repos/acme/registry/issues/14',
    ]);
  });

  it('calls every issue unknown when the token is refused', async () => {
    const states = gitHubIssueStates({
      token: 'expired',
      repository: 'acme/registry',
      baseUrl: github.url,
    });
    expect(await states(12)).toEqual({
      state: 'unknown',
      reason: 'GITHUB_TOKEN was refused (401): check that it is valid and unexpired',
    });
  });
});

describe('matriz guard promotion with GitHub issue states', () => {
  let repo: TestRepository;
  beforeEach(() => {
    repo = createRepository();
  });
  afterEach(() => {
    repo.remove();
  });

  it('blocks on an open tracking issue and allows once GitHub reports it closed', async () => {
    const stubbed = repo.commit({ 'core/x.ts': '// TEMP-STUB(#12): wire up\n' });
    const done = repo.commit({ 'core/x.ts': 'export const x = 1;\n' });
    const env = {
      GITHUB_TOKEN: 'test-token',
      GITHUB_REPOSITORY: 'acme/registry',
      GITHUB_API_URL: github.url,
    };
    const blocked = captureIo({ cwd: repo.dir, env });
    expect(await main(['guard', 'promotion', '--base', stubbed, '--head', done], blocked)).toBe(1);
    expect(blocked.out()).toContain('issue #12: open');

    github.issues.set('acme/registry#12', 'closed');
    const allowed = captureIo({ cwd: repo.dir, env });
    expect(
      await main(
        ['guard', 'promotion', '--base', stubbed, '--head', done, '--github-repo', 'acme/registry'],
        allowed,
      ),
    ).toBe(0);
    expect(allowed.out()).toContain('issue #12: closed');
  });

  it('refuses a --github-repo that is not OWNER/NAME', async () => {
    const head = repo.commit({ 'a.txt': 'a\n' });
    const io = captureIo({ cwd: repo.dir });
    expect(
      await main(
        ['guard', 'promotion', '--base', head, '--head', head, '--github-repo', 'acme'],
        io,
      ),
    ).toBe(2);
    expect(io.err()).toContain('--github-repo must be OWNER/NAME');
  });
});
