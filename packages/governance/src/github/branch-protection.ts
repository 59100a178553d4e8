/**
 * `github protect` use cases: the exact PUT body (`print`), drift between it and GitHub plus the
 * repository's own policy files (`check`), and an idempotent `apply` that sends the PUT only when
 * something drifted.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { glob } from 'tinyglobby';
import { codeOwnersCoverage, parseCodeOwners, type CoverageProblem } from './codeowners.js';
import type { BranchRef, ProtectionClient } from './protection-client.js';
import type { ProtectionConfig } from './protection-config.js';
import { protectionDrift, type ProtectionDrift } from './protection-drift.js';
import { currentState, desiredState, UNPROTECTED } from './protection-state.js';
import {
  readWorkflowJobs,
  requiredCheckProblems,
  type WorkflowProblem,
} from './workflow-checks.js';

export const CODEOWNERS_FILE = '.github/CODEOWNERS';
export const WORKFLOW_DIRECTORY = '.github/workflows';

export interface DriftReport {
  readonly protected: boolean;
  readonly drift: readonly ProtectionDrift[];
}

export async function protectionDriftOf(
  config: ProtectionConfig,
  ref: BranchRef,
  client: ProtectionClient,
): Promise<DriftReport> {
  const current = await client.get(ref);
  const state = current.protected ? currentState(current.response) : UNPROTECTED;
  return { protected: current.protected, drift: protectionDrift(desiredState(config.body), state) };
}

export interface PolicyReport {
  readonly codeowners: readonly CoverageProblem[];
  readonly workflows: readonly WorkflowProblem[];
}

/** Checks the repository's CODEOWNERS and workflows against the protection config. */
export async function repositoryPolicyProblems(
  config: ProtectionConfig,
  repositoryRoot: string,
): Promise<PolicyReport> {
  const codeowners: CoverageProblem[] = [];
  if (config.securitySensitivePaths.length > 0) {
    let text: string | undefined;
    try {
      text = await readFile(path.join(repositoryRoot, CODEOWNERS_FILE), 'utf8');
    } catch {
      codeowners.push({
        path: CODEOWNERS_FILE,
        message: `${CODEOWNERS_FILE} is missing, so no security-sensitive path has a code owner`,
      });
    }
    if (text !== undefined) {
      const sensitive = new Map<string, string[]>();
      for (const pattern of config.securitySensitivePaths) {
        sensitive.set(
          pattern,
          (
            await glob(pattern, {
              cwd: repositoryRoot,
              dot: true,
              onlyFiles: true,
              expandDirectories: false,
              ignore: ['**/node_modules/**', '**/.git/**'],
            })
          ).sort(),
        );
      }
      codeowners.push(...codeOwnersCoverage(parseCodeOwners(text), sensitive));
    }
  }
  const contexts = config.body.required_status_checks?.contexts ?? [];
  const jobs = await readWorkflowJobs(path.join(repositoryRoot, WORKFLOW_DIRECTORY));
  return { codeowners, workflows: requiredCheckProblems(contexts, jobs, WORKFLOW_DIRECTORY) };
}

export interface ApplyResult {
  /** Whether a PUT was sent. */
  readonly applied: boolean;
  /** The drift found before applying (empty when nothing was sent). */
  readonly drift: readonly ProtectionDrift[];
  /** The drift remaining after the PUT, as GitHub answered it (should be empty). */
  readonly remaining: readonly ProtectionDrift[];
}

export async function applyProtection(
  config: ProtectionConfig,
  ref: BranchRef,
  client: ProtectionClient,
): Promise<ApplyResult> {
  const before = await protectionDriftOf(config, ref, client);
  if (before.protected && before.drift.length === 0)
    return { applied: false, drift: [], remaining: [] };
  const answer = await client.put(ref, config.body);
  return {
    applied: true,
    drift: before.drift,
    remaining: protectionDrift(desiredState(config.body), currentState(answer)),
  };
}
