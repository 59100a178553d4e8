import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { repositoryPolicyProblems } from '../../src/github/branch-protection.js';
import { parseProtectionConfig } from '../../src/github/protection-config.js';
import { readWorkflowJobs } from '../../src/github/workflow-checks.js';
import { PROTECTION_ROUTE } from './fake-github.js';
import { describeErrors, gitHubSchemas } from './github-openapi.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const file = `${root}.github/protection.yml`;

function projectConfig(): ReturnType<typeof parseProtectionConfig> {
  return parseProtectionConfig(readFileSync(file, 'utf8'), file);
}

describe("the project's own branch protection (.github/protection.yml)", () => {
  it('requires the gates, the No-Op guard and the promotion guard, each as its own context', () => {
    const result = projectConfig();
    if (!result.ok) throw new Error(result.error.message);
    expect(result.config.body.required_status_checks?.contexts).toEqual([
      'gates',
      'noop-guard',
      'promotion-guard',
    ]);
    expect(result.config.body.required_pull_request_reviews?.require_code_owner_reviews).toBe(true);
  });

  it("is a body GitHub's OpenAPI schema accepts", () => {
    const result = projectConfig();
    if (!result.ok) throw new Error(result.error.message);
    const validate = gitHubSchemas().request('PUT', PROTECTION_ROUTE);
    expect(validate(result.config.body) ? '' : describeErrors(validate)).toBe('');
  });

  it('has every security-sensitive file owned in CODEOWNERS and every required check produced on pull requests', async () => {
    const result = projectConfig();
    if (!result.ok) throw new Error(result.error.message);
    expect(await repositoryPolicyProblems(result.config, root)).toEqual({
      codeowners: [],
      workflows: [],
    });
  });

  it('runs the gates and the promotion guard in workflows on pull requests', async () => {
    const jobs = await readWorkflowJobs(`${root}.github/workflows`);
    const onPullRequests = jobs.filter((j) => j.runsOnPullRequests).flatMap((j) => j.checkNames);
    expect(onPullRequests).toEqual(expect.arrayContaining(['gates', 'promotion-guard']));
  });
});
