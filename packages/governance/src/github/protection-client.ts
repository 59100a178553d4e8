/**
 * Reads and writes a branch's protection through GitHub's REST API (Octokit):
 * GET and PUT /repos/{owner}/{repo}/branches/{branch}/protection. Both need the repository's
 * "Administration" permission (read for GET, write for PUT); a token without it gets a message
 * that says so instead of a bare 403 or 404.
 */
import { Octokit } from '@octokit/rest';
import { GitHubError } from './github-error.js';
import type { ProtectionBody } from './protection-config.js';
import type { BranchProtectionResponse } from './protection-state.js';

export interface BranchRef {
  readonly owner: string;
  readonly repo: string;
  readonly branch: string;
}

export interface ProtectionClientOptions {
  readonly token: string;
  /** The REST API root; https://api.github.com unless testing or on GitHub Enterprise Server. */
  readonly baseUrl?: string;
}

export type CurrentProtection =
  | { readonly protected: true; readonly response: BranchProtectionResponse }
  | { readonly protected: false };

const ROUTE = '/repos/{owner}/{repo}/branches/{branch}/protection';

export class ProtectionClient {
  private readonly octokit: Octokit;

  constructor(options: ProtectionClientOptions) {
    this.octokit = new Octokit({
      auth: options.token,
      ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
      log: {
        debug: () => undefined,
        info: () => undefined,
        warn: () => undefined,
        error: () => undefined,
      },
    });
  }

  async get(ref: BranchRef): Promise<CurrentProtection> {
    try {
      const response = await this.octokit.request(`GET ${ROUTE}`, { ...ref });
      return { protected: true, response: response.data };
    } catch (error) {
      if (requestStatus(error) === 404 && /branch not protected/i.test(errorMessage(error)))
        return { protected: false };
      throw explain(error, ref, 'read');
    }
  }

  async put(ref: BranchRef, body: ProtectionBody): Promise<BranchProtectionResponse> {
    try {
      const response = await this.octokit.request(`PUT ${ROUTE}`, { ...ref, ...body });
      return response.data;
    } catch (error) {
      throw explain(error, ref, 'write');
    }
  }
}

function requestStatus(error: unknown): number | undefined {
  return (error as { status?: number }).status;
}

function errorMessage(error: unknown): string {
  const data = (error as { response?: { data?: { message?: unknown } } }).response?.data;
  return typeof data?.message === 'string' ? data.message : (error as Error).message;
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
