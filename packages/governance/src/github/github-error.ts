/** Why a GitHub request could not do its job, with a stable code and what to do about it. */

export type GitHubErrorCode =
  | 'github-token-missing'
  | 'github-token-refused'
  | 'github-permission-missing'
  | 'github-not-found'
  | 'github-request-failed';

export class GitHubError extends Error {
  override readonly name = 'GitHubError';
  constructor(
    readonly code: GitHubErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The token every command that talks to GitHub reads, and how to fix its absence. */
export function requireToken(
  env: Readonly<Record<string, string | undefined>>,
  permission: string,
): string {
  const token = env.GITHUB_TOKEN;
  if (!token)
    throw new GitHubError(
      'github-token-missing',
      `GITHUB_TOKEN is not set: export a token with the ${permission} repository permission (a fine-grained token, or a GitHub App installation token)`,
    );
  return token;
}
