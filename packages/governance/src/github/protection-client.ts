/**
 * Reads and writes a branch's protection through GitHub's REST API (rest.ts):
 * GET and PUT /repos/{owner}/{repo}/branches/{branch}/protection. Both need the repository's
 * "Administration" permission (read for GET, write for PUT); a token without it gets a message
 * that says so instead of a bare 403 or 404.
 */
import { GitHubError } from './github-error.js';
import type { ProtectionBody } from './protection-config.js';
import type { BranchProtectionResponse } from './protection-state.js';
import { GitHubRequestError, gitHubRequest, type GitHubRestOptions } from './rest.js';

export interface BranchRef {
  readonly owner: string;
  readonly repo: string;
  readonly branch: string;
}

export type ProtectionClientOptions = GitHubRestOptions;

export type CurrentProtection =
  | { readonly protected: true; readonly response: BranchProtectionResponse }
  | { readonly protected: false };

const ROUTE = '/repos/{owner}/{repo}/branches/{branch}/protection';

export class ProtectionClient {
  constructor(private readonly options: ProtectionClientOptions) {}

  async get(ref: BranchRef): Promise<CurrentProtection> {
    try {
      const response = await gitHubRequest(this.options, `GET ${ROUTE}`, { ...ref });
      return { protected: true, response: response as BranchProtectionResponse };
    } catch (error) {
      if (requestStatus(error) === 404 && /branch not protected/i.test(errorMessage(error)))
        return { protected: false };
      throw explain(error, ref, 'read');
    }
  }

  async put(ref: BranchRef, body: ProtectionBody): Promise<BranchProtectionResponse> {
    try {
      const response = await gitHubRequest(this.options, `PUT ${ROUTE}`, { ...ref, ...body });
      return response as BranchProtectionResponse;
    } catch (error) {
      throw explain(error, ref, 'write');
    }
  }
}

function requestStatus(error: unknown): number | undefined {
  return error instanceof GitHubRequestError ? error.status : undefined;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function explain(error: unknown, ref: BranchRef, access: 'read' | 'write'): GitHubError {
  const where = `${ref.owner}/${ref.repo} branch ${ref.branch}`;
  const said = `GitHub said: ${errorMessage(error)}`;
  switch (requestStatus(error)) {
    case 401:
      return new GitHubError(
        'github-token-refused',
        `GITHUB_TOKEN was refused (401): it is invalid or expired. ${said}`,
      );
    case 403:
      return new GitHubError(
        'github-permission-missing',
        `the token lacks the "Administration" repository permission (${access}) on ${ref.owner}/${ref.repo}, which branch protection requires: grant it, or use an admin's token. ${said}`,
      );
    case 404:
      return new GitHubError(
        'github-not-found',
        `${where} was not found, or the token cannot see it (GitHub also answers 404 when the token lacks the "Administration" permission). ${said}`,
      );
    default:
      return new GitHubError(
        'github-request-failed',
        `${access === 'read' ? 'GET' : 'PUT'} ${where} protection failed: ${(error as Error).message}`,
      );
  }
}
