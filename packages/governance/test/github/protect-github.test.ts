import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { currentState } from '../../src/github/protection-state.js';
import type { BranchProtectionResponse } from '../../src/github/protection-state.js';
import { captureIo } from '../support/cli.js';
import { PROTECTION_ROUTE, startFakeGitHub, type FakeGitHub } from './fake-github.js';
import { describeErrors, exampleResponse, gitHubSchemas, loadOpenApi } from './github-openapi.js';

const CONFIG = `protection:
  required_status_checks:
    strict: true
    contexts: [gates, noop-guard, promotion-guard, lint]
  enforce_admins: true
  required_pull_request_reviews:
    required_approving_review_count: 1
    require_code_owner_reviews: true
    dismiss_stale_reviews: true
  required_linear_history: true
  required_conversation_resolution: true
security_sensitive_paths:
  - src/crypto/**
`;

const WORKFLOW = `name: ci
on: [pull_request, push]
jobs:
  gates:
    runs-on: ubuntu-latest
    steps: [{ run: "true" }]
  noop:
    name: noop-guard
    runs-on: ubuntu-latest
    steps: [{ run: "true" }]
  promotion-guard:
    runs-on: ubuntu-latest
    steps: [{ run: "true" }]
  lint:
    runs-on: ubuntu-latest
    steps: [{ run: "true" }]
`;

/**
 * GitHub's published example GET answer (components/examples/branch-protection), brought in line
 * with the schema it illustrates. The example predates three schema changes, each repaired here
 * the way GitHub's real answers show it (the first test pins exactly these deviations):
 *  - `required_status_checks.checks` (required) is missing: GitHub lists each context there too;
 *  - teams lack the required `type`: an organization's team is `"organization"`;
 *  - the app's `owner` is an organization object, which matches neither `simple-user` nor
 *    `enterprise`: the apps lists are emptied (apps are not managed by this tool).
 */
function publishedGetExample(): Record<string, unknown> {
  const example = exampleResponse(loadOpenApi(), 'branch-protection');
  const checks = example.required_status_checks as { contexts: string[]; checks?: unknown };
  checks.checks = checks.contexts.map((context) => ({ context, app_id: null }));
  const reviews = example.required_pull_request_reviews as {
    dismissal_restrictions: { teams: Record<string, unknown>[]; apps: unknown[] };
  };
  const restrictions = example.restrictions as {
    teams: Record<string, unknown>[];
    apps: unknown[];
  };
  for (const holder of [reviews.dismissal_restrictions, restrictions]) {
    for (const team of holder.teams) team.type = 'organization';
    holder.apps = [];
  }
  return example;
}

let github: FakeGitHub;
let dir: string;

beforeEach(async () => {
  github = await startFakeGitHub();
  dir = mkdtempSync(path.join(tmpdir(), 'matriz-protect-'));
  mkdirSync(path.join(dir, '.github/workflows'), { recursive: true });
  mkdirSync(path.join(dir, 'src/crypto'), { recursive: true });
  writeFileSync(path.join(dir, '.github/protection.yml'), CONFIG);
  writeFileSync(path.join(dir, '.github/workflows/ci.yml'), WORKFLOW);
  writeFileSync(
    path.join(dir, '.github/CODEOWNERS'),
    '* @acme/maintainers\n/src/crypto/ @acme/crypto\n',
  );
  writeFileSync(path.join(dir, 'src/crypto/sign.ts'), 'export {};\n');
});

afterEach(async () => {
  await github.close();
  rmSync(dir, { recursive: true, force: true });
  expect(github.violations).toEqual([]);
});

async function protect(
  mode: '--check' | '--apply',
  env: Record<string, string> = { GITHUB_TOKEN: 'test-token' },
  extra: string[] = [],
): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo({ cwd: dir, env: { GITHUB_API_URL: github.url, ...env } });
  const code = await main(
    ['github', 'protect', '--repo', 'acme/registry', '--branch', 'main', mode, ...extra],
    io,
  );
  return { code, out: io.out(), err: io.err() };
}

function puts(): number {
  return github.requests.filter((r) => r.method === 'PUT').length;
}

describe("GitHub's published response shapes", () => {
  it('the published GET example deviates from its schema only as publishedGetExample repairs', () => {
    const schema = gitHubSchemas().response('GET', PROTECTION_ROUTE, 200);
    expect(schema(exampleResponse(loadOpenApi(), 'branch-protection'))).toBe(false);
    const paths = new Set((schema.errors ?? []).map((e) => e.instancePath));
    expect([...paths].sort()).toEqual([
      '/required_pull_request_reviews/dismissal_restrictions/apps/0/owner',
      '/required_pull_request_reviews/dismissal_restrictions/teams/0',
      '/required_status_checks',
      '/restrictions/teams/0',
    ]);
    expect(schema(publishedGetExample()) ? '' : describeErrors(schema)).toBe('');
  });

  it('normalizes the published GET example to the PUT shape', () => {
    expect(currentState(publishedGetExample() as BranchProtectionResponse)).toEqual({
      required_status_checks: { strict: false, contexts: ['continuous-integration/travis-ci'] },
      enforce_admins: true,
      required_pull_request_reviews: {
        required_approving_review_count: 2,
        require_code_owner_reviews: true,
        dismiss_stale_reviews: true,
        require_last_push_approval: true,
      },
      restrictions: true,
      required_linear_history: true,
      allow_force_pushes: true,
      allow_deletions: true,
      required_conversation_resolution: true,
    });
  });

  it('normalizes the published PUT response example the same way', () => {
    const example = exampleResponse(loadOpenApi(), 'branch-protection-update');
    const schema = gitHubSchemas().response('PUT', PROTECTION_ROUTE, 200);
    expect(schema(example) ? '' : describeErrors(schema)).toBe('');
    expect(currentState(example as BranchProtectionResponse).required_status_checks).toEqual({
      strict: true,
      contexts: ['continuous-integration/travis-ci'],
    });
  });
});

describe('matriz github protect --check', () => {
  it('reports drift field by field against the published GET shape, and exits 1', async () => {
    github.protection.set('acme/registry/main', publishedGetExample());
    const result = await protect('--check');
    expect(result.code).toBe(1);
    expect(result.out).toContain('protection of acme/registry branch main: 7 fields drifted\n');
    for (const line of [
      'required_status_checks.strict: expected true, found false',
      'required_status_checks.contexts: missing "gates", "lint", "noop-guard", "promotion-guard"; unexpected "continuous-integration/travis-ci"',
      'required_pull_request_reviews.required_approving_review_count: expected 1, found 2',
      'required_pull_request_reviews.require_last_push_approval: expected false, found true',
      'restrictions: push restrictions are set on GitHub but not managed here (apply removes them)',
      'allow_force_pushes: expected false, found true',
      'allow_deletions: expected false, found true',
    ])
      expect(result.out).toContain(`  ${line}\n`);
    expect(result.out).toContain('check: FAIL (run with --apply to fix the drift)');
    expect(github.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /repos/acme/registry/branches/main/protection',
    ]);
  });

  it('reports an unprotected branch as drift in every configured field', async () => {
    const result = await protect('--check', undefined, ['--format', 'json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.out) as { protected: boolean; drift: { field: string }[] };
    expect(report.protected).toBe(false);
    expect(report.drift.map((d) => d.field)).toEqual([
      'required_status_checks',
      'enforce_admins',
      'required_pull_request_reviews',
      'required_linear_history',
      'required_conversation_resolution',
    ]);
  });

  it('passes once GitHub matches, CODEOWNERS covers the sensitive paths and jobs produce every check', async () => {
    expect((await protect('--apply')).code).toBe(0);
    const result = await protect('--check');
    expect(result.out).toBe('protection of acme/registry branch main: in sync\ncheck: OK\n');
    expect(result.code).toBe(0);
  });

  it('fails when CODEOWNERS leaves a security-sensitive file unowned', async () => {
    await protect('--apply');
    writeFileSync(path.join(dir, '.github/CODEOWNERS'), '/docs/ @acme/docs\n');
    const result = await protect('--check');
    expect(result.code).toBe(1);
    expect(result.out).toContain(
      'codeowners: src/crypto/sign.ts (security-sensitive: src/crypto/**) has no code owner',
    );
  });

  it('fails when a required check is produced by no workflow job', async () => {
    await protect('--apply');
    writeFileSync(
      path.join(dir, '.github/workflows/ci.yml'),
      WORKFLOW.replace('  lint:\n', '  eslint:\n'),
    );
    const result = await protect('--check');
    expect(result.code).toBe(1);
    expect(result.out).toContain(
      'workflows: required check "lint" is produced by no job in .github/workflows/',
    );
  });

  it('says clearly when GITHUB_TOKEN is missing', async () => {
    const result = await protect('--check', {});
    expect(result.code).toBe(2);
    expect(result.err).toContain(
      'GITHUB_TOKEN is not set: export a token with the "Administration: read" repository permission',
    );
    expect(result.err).toContain('[github-token-missing]');
    expect(github.requests).toEqual([]);
  });

  it('tells a missing repository apart from an unprotected branch', async () => {
    const io = captureIo({
      cwd: dir,
      env: { GITHUB_API_URL: github.url, GITHUB_TOKEN: 'test-token' },
    });
    const code = await main(
      ['github', 'protect', '--repo', 'acme/missing', '--branch', 'main', '--check'],
      io,
    );
    expect(code).toBe(2);
    expect(io.err()).toContain(
      'acme/missing branch main was not found, or the token cannot see it (GitHub also answers 404 when the token lacks the "Administration" permission). GitHub said: Not Found [github-not-found]',
    );
  });

  it('says clearly when the token is refused', async () => {
    const result = await protect('--check', { GITHUB_TOKEN: 'wrong' });
    expect(result.code).toBe(2);
    expect(result.err).toContain('[github-token-refused]');
  });
});

describe('matriz github protect --apply', () => {
  it('names the missing write permission when the token may only read the protection', async () => {
    await github.close();
    github = await startFakeGitHub({ administration: 'read' });
    const result = await protect('--apply');
    expect(result.code).toBe(2);
    expect(result.err).toContain(
      'the token lacks the "Administration" repository permission (write) on acme/registry',
    );
    expect(puts()).toBe(1);
    expect(github.protection.size).toBe(0);
  });

  it('sends one PUT whose body validates against the OpenAPI schema, and nothing when in sync', async () => {
    const first = await protect('--apply');
    expect(first.code).toBe(0);
    expect(first.out).toContain('applied (PUT), fixing:');
    expect(puts()).toBe(1);
    const body = github.requests.find((r) => r.method === 'PUT')?.body as {
      required_status_checks: { contexts: string[] };
    };
    expect(body.required_status_checks.contexts).toEqual([
      'gates',
      'noop-guard',
      'promotion-guard',
      'lint',
    ]);

    const second = await protect('--apply');
    expect(second.code).toBe(0);
    expect(second.out).toBe('protection of acme/registry branch main: in sync, nothing sent\n');
    expect(puts()).toBe(1);
  });

  it('replaces drifted protection read in the published GET shape', async () => {
    github.protection.set('acme/registry/main', publishedGetExample());
    const result = await protect('--apply', undefined, ['--format', 'json']);
    const report = JSON.parse(result.out) as { applied: boolean; remaining: unknown[] };
    expect(report).toMatchObject({ applied: true, remaining: [] });
    expect(puts()).toBe(1);
    expect((await protect('--check')).code).toBe(0);
  });

  it('names the missing Administration permission instead of a bare 403', async () => {
    await github.close();
    github = await startFakeGitHub({ administration: 'none' });
    const result = await protect('--apply');
    expect(result.code).toBe(2);
    expect(result.err).toContain(
      'the token lacks the "Administration" repository permission (read) on acme/registry, which branch protection requires',
    );
    expect(result.err).toContain(
      'GitHub said: Resource not accessible by integration [github-permission-missing]',
    );
    expect(puts()).toBe(0);
  });
});
