import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { parseProtectionConfig } from '../../src/github/protection-config.js';
import { captureIo } from '../support/cli.js';
import { PROTECTION_ROUTE } from './fake-github.js';
import { describeErrors, gitHubSchemas } from './github-openapi.js';

const putSchema = gitHubSchemas().request('PUT', PROTECTION_ROUTE);
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'matriz-protect-print-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function print(config: string): Promise<{ code: number; body: unknown; err: string }> {
  writeFileSync(path.join(dir, 'protection.yml'), config);
  const io = captureIo({ cwd: dir });
  const code = await main(
    [
      'github',
      'protect',
      '--config',
      'protection.yml',
      '--repo',
      'acme/registry',
      '--branch',
      'main',
      '--print',
    ],
    io,
  );
  return { code, body: code === 0 ? JSON.parse(io.out()) : undefined, err: io.err() };
}

const FOUR_CHECKS = `protection:
  required_status_checks:
    strict: true
    contexts: [gates, noop-guard, promotion-guard, lint]
  enforce_admins: true
  required_pull_request_reviews:
    required_approving_review_count: 1
    require_code_owner_reviews: true
    dismiss_stale_reviews: true
    require_last_push_approval: true
  required_linear_history: true
  allow_force_pushes: false
  allow_deletions: false
  required_conversation_resolution: true
`;

describe('matriz github protect --print', () => {
  it('sends four required checks as four separate contexts, never one joined string', async () => {
    const result = await print(FOUR_CHECKS);
    expect(result.code).toBe(0);
    expect(result.err).toBe('# PUT /repos/acme/registry/branches/main/protection\n');
    expect(result.body).toMatchObject({
      required_status_checks: {
        strict: true,
        contexts: ['gates', 'noop-guard', 'promotion-guard', 'lint'],
      },
    });
    const contexts = (result.body as { required_status_checks: { contexts: string[] } })
      .required_status_checks.contexts;
    expect(contexts).toHaveLength(4);
    expect(contexts.some((c) => c.includes(','))).toBe(false);
  });

  it('prints exactly the REST body, with the fields GitHub requires and nothing it does not know', async () => {
    const { body } = await print(FOUR_CHECKS);
    expect(body).toEqual({
      required_status_checks: {
        strict: true,
        contexts: ['gates', 'noop-guard', 'promotion-guard', 'lint'],
      },
      enforce_admins: true,
      required_pull_request_reviews: {
        required_approving_review_count: 1,
        require_code_owner_reviews: true,
        dismiss_stale_reviews: true,
        require_last_push_approval: true,
      },
      restrictions: null,
      required_linear_history: true,
      allow_force_pushes: false,
      allow_deletions: false,
      required_conversation_resolution: true,
    });
  });

  it.each([
    ['every field', FOUR_CHECKS],
    ['an empty protection (GitHub defaults)', 'protection: {}\n'],
    [
      'reviews only',
      'protection:\n  required_pull_request_reviews:\n    require_code_owner_reviews: true\n',
    ],
    [
      'checks without strict',
      'protection:\n  required_status_checks:\n    contexts: [a]\n  enforce_admins: false\n',
    ],
    [
      'explicit nulls',
      'protection:\n  required_status_checks: null\n  enforce_admins: null\n  required_pull_request_reviews: null\n',
    ],
  ])("validates against GitHub's OpenAPI request schema: %s", async (_name, config) => {
    const { body, code } = await print(config);
    expect(code).toBe(0);
    const valid = putSchema(body);
    expect(valid ? '' : describeErrors(putSchema)).toBe('');
  });

  it('refuses a comma-joined context, the bug that made the prototype require a check no job reports', () => {
    const result = parseProtectionConfig(
      'protection:\n  required_status_checks:\n    contexts: ["gates,noop-guard"]\n',
      'p.yml',
    );
    expect(!result.ok && result.error.message).toContain(
      '/protection/required_status_checks/contexts/0 must match pattern "^[^,]+$": list each required check as its own context, never comma-joined',
    );
  });

  it('refuses fields that are not in the REST body, naming them', () => {
    const result = parseProtectionConfig('protection:\n  require_reviews: true\n', 'p.yml');
    expect(!result.ok && result.error.message).toBe(
      'p.yml: /protection must NOT have additional properties (require_reviews)',
    );
  });

  it('needs exactly one of --print, --check or --apply, and an OWNER/NAME repository', async () => {
    writeFileSync(path.join(dir, 'protection.yml'), FOUR_CHECKS);
    const run = async (args: string[]): Promise<{ code: number; err: string }> => {
      const io = captureIo({ cwd: dir });
      const code = await main(
        ['github', 'protect', '--config', 'protection.yml', '--branch', 'main', ...args],
        io,
      );
      return { code, err: io.err() };
    };
    expect((await run(['--repo', 'acme/registry'])).err).toContain(
      'choose one of --print, --check or --apply',
    );
    expect((await run(['--repo', 'acme/registry', '--print', '--apply'])).code).toBe(2);
    expect((await run(['--repo', 'acme', '--print'])).err).toContain('--repo must be OWNER/NAME');
  });
});
