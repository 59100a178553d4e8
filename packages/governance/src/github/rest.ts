/**
 * The few GitHub REST API calls the governance tools make, over the platform's `fetch`: a route
 * template of GitHub's OpenAPI description (`GET /repos/{owner}/{repo}/issues/{issue_number}`),
 * its path parameters, and a JSON body. Headers as GitHub's REST documentation asks for them
 * ("Getting started with the REST API"): `Accept: application/vnd.github+json`, the API version
 * `X-GitHub-Api-Version: 2022-11-28`, a `User-Agent`, and the token as `Authorization: Bearer`.
 *
 * Request and response bodies are checked against GitHub's published schema by the tests (the
 * fake GitHub of test/github/fake-github.ts validates both against the derived OpenAPI subset).
 */

export const GITHUB_API = 'https://api.github.com';
const API_VERSION = '2022-11-28';
const USER_AGENT = 'matriz-governance';

export interface GitHubRestOptions {
  readonly token: string;
  /** The REST API root; https://api.github.com unless testing or on GitHub Enterprise Server. */
  readonly baseUrl?: string;
}

/** GitHub answered with an error status; `message` is GitHub's own `message` when it sent one. */
export class GitHubRequestError extends Error {
  override readonly name = 'GitHubRequestError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Sends `METHOD /route/{param}` with `parameters` filling the route's `{names}`; the remaining
 * parameters, if any, are the JSON body. Resolves with the parsed answer of a 2xx; rejects with
 * a GitHubRequestError for any other status, or fetch's TypeError when GitHub cannot be reached.
 */
export async function gitHubRequest(
  options: GitHubRestOptions,
  endpoint: string,
  parameters: Readonly<Record<string, unknown>>,
): Promise<unknown> {
  const [method = '', route = ''] = endpoint.split(' ');
  const inPath = new Set<string>();
  const path = route.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = parameters[name];
    if (typeof value !== 'string' && typeof value !== 'number')
      throw new TypeError(`${endpoint}: missing path parameter ${name}`);
    inPath.add(name);
    return encodeURIComponent(value);
  });
  const body = Object.fromEntries(Object.entries(parameters).filter(([name]) => !inPath.has(name)));
  const hasBody = Object.keys(body).length > 0;
  const response = await fetch(`${(options.baseUrl ?? GITHUB_API).replace(/\/+$/, '')}${path}`, {
    method,
    headers: {
      accept: 'application/vnd.github+json',
      authorization: `Bearer ${options.token}`,
      'user-agent': USER_AGENT,
      'x-github-api-version': API_VERSION,
      ...(hasBody ? { 'content-type': 'application/json' } : {}),
    },
    ...(hasBody ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  const data = parseJson(text);
  if (!response.ok) {
    const said = (data as { message?: unknown } | undefined)?.message;
    throw new GitHubRequestError(
      response.status,
      typeof said === 'string' ? said : `${response.status} ${response.statusText}`.trim(),
    );
  }
  return data;
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
