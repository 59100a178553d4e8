/**
 * Where the state of a tracking issue comes from: the GitHub REST API (`GET
 * /repos/{owner}/{repo}/issues/{issue_number}`) or, offline, a JSON file mapping issue numbers to
 * `open` or `closed`. Any state the guard cannot establish is `unknown`, with the reason, and an
 * unknown state blocks promotion just as an open issue does.
 */
import { readFile } from 'node:fs/promises';
import { GitHubRequestError, gitHubRequest } from '../github/rest.js';
import { parseJson } from '../json/index.js';

export type IssueState =
  { readonly state: 'open' | 'closed' } | { readonly state: 'unknown'; readonly reason: string };

/** Looks up the state of one issue; never throws. */
export type IssueStateSource = (issue: number) => Promise<IssueState>;

export interface IssueStateFileError {
  readonly code: 'issues-state-unreadable' | 'issues-state-invalid';
  readonly message: string;
}

/**
 * Reads `--issues-state FILE`: `{"12": "open", "15": "closed"}`. Issues missing from the file are
 * `unknown` (the file does not say), never assumed closed.
 */
export async function issueStateFile(
  file: string,
): Promise<{ ok: true; source: IssueStateSource } | { ok: false; error: IssueStateFileError }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    return {
      ok: false,
      error: { code: 'issues-state-unreadable', message: `${file}: ${(error as Error).message}` },
    };
  }
  const parsed = parseJson(bytes);
  const invalid = (detail: string): { ok: false; error: IssueStateFileError } => ({
    ok: false,
    error: {
      code: 'issues-state-invalid',
      message: `${file}: ${detail} (expected a JSON object mapping issue numbers to "open" or "closed", e.g. {"12": "closed"})`,
    },
  });
  if (!parsed.ok) return invalid(parsed.error.message);
  const map = parsed.value;
  if (typeof map !== 'object' || map === null || Array.isArray(map))
    return invalid('not an object');
  const states = new Map<number, 'open' | 'closed'>();
  for (const [key, value] of Object.entries(map)) {
    if (!/^[1-9]\d*$/.test(key)) return invalid(`${JSON.stringify(key)} is not an issue number`);
    if (value !== 'open' && value !== 'closed')
      return invalid(`issue ${key} has state ${JSON.stringify(value)}`);
    states.set(Number(key), value);
  }
  return {
    ok: true,
    source: (issue) => {
      const state = states.get(issue);
      return Promise.resolve(
        state === undefined
          ? { state: 'unknown', reason: `issue #${issue} is not listed in ${file}` }
          : { state },
      );
    },
  };
}

export interface GitHubIssueOptions {
  readonly token: string;
  /** `owner/name`. */
  readonly repository: string;
  /** The REST API root; https://api.github.com unless testing or on GitHub Enterprise Server. */
  readonly baseUrl?: string;
}

/** Issue states from the GitHub REST API. */
export function gitHubIssueStates(options: GitHubIssueOptions): IssueStateSource {
  const [owner = '', repo = ''] = options.repository.split('/');
  return async (issue) => {
    try {
      const response = (await gitHubRequest(
        options,
        'GET /repos/{owner}/{repo}/issues/{issue_number}',
        { owner, repo, issue_number: issue },
      )) as { state?: unknown } | undefined;
      const state = response?.state;
      if (state === 'open' || state === 'closed') return { state };
      return {
        state: 'unknown',
        reason: `GitHub reported issue #${issue} as ${JSON.stringify(state)}`,
      };
    } catch (error) {
      const status = error instanceof GitHubRequestError ? error.status : undefined;
      const why =
        status === 404
          ? `issue #${issue} does not exist in ${options.repository}, or the token cannot read it`
          : status === 401
            ? 'GITHUB_TOKEN was refused (401): check that it is valid and unexpired'
            : status === 403
              ? `the token may not read issues of ${options.repository} (403): grant it the "Issues: read" permission`
              : `GitHub could not be asked about issue #${issue}: ${(error as Error).message}`;
      return { state: 'unknown', reason: why };
    }
  };
}

/** When no source is configured, every referenced issue is unknown, and says how to fix that. */
export const noIssueStateSource: IssueStateSource = (issue) =>
  Promise.resolve({
    state: 'unknown',
    reason: `no way to learn the state of issue #${issue}: set GITHUB_TOKEN and --github-repo OWNER/NAME (or GITHUB_REPOSITORY), or pass --issues-state FILE`,
  });

export function isRepositoryName(text: string): boolean {
  return /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(text);
}
