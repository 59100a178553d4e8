/**
 * A fake GitHub REST API for tests: a real HTTP server on 127.0.0.1 (ephemeral port) that
 * implements the few operations `matriz` calls, validates every request body against GitHub's
 * published OpenAPI schema (answering 422 when it does not match, as GitHub does), and checks
 * that every body it answers with matches the declared response schema too. Violations are
 * recorded; tests assert there are none.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeErrors, exampleResponse, gitHubSchemas } from './github-openapi.js';

export const PROTECTION_ROUTE = '/repos/{owner}/{repo}/branches/{branch}/protection';
export const ISSUE_ROUTE = '/repos/{owner}/{repo}/issues/{issue_number}';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
}

export interface FakeGitHubOptions {
  /** Tokens the server accepts. */
  readonly tokens?: readonly string[];
  /** The Administration permission accepted tokens have (default: write). */
  readonly administration?: 'none' | 'read' | 'write';
}

export interface FakeGitHub {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Schema violations, in requests (answered 422) or in the server's own responses. */
  readonly violations: string[];
  /** Protection per `owner/repo/branch`, in GET response shape. */
  readonly protection: Map<string, Record<string, unknown>>;
  /** Issue states per `owner/repo#number`. */
  readonly issues: Map<string, 'open' | 'closed'>;
  close(): Promise<void>;
}

const schemas = gitHubSchemas();

export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const tokens = new Set(options.tokens ?? ['test-token']);
  const requests: RecordedRequest[] = [];
  const violations: string[] = [];
  const protection = new Map<string, Record<string, unknown>>();
  const issues = new Map<string, 'open' | 'closed'>();
  let origin = '';

  const send = (
    res: ServerResponse,
    method: string,
    route: string,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void => {
    const validate = schemas.response(method, route, status);
    if (!validate(body))
      violations.push(`response ${status} to ${method} ${route}: ${describeErrors(validate)}`);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', origin);
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      violations.push(`request ${method} ${url.pathname}: body is not JSON`);
      body = text;
    }
    requests.push({ method, path: url.pathname, body });

    const auth = /^(?:token|bearer) (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const protectionMatch = /^\/repos\/([^/]+)\/([^/]+)\/branches\/(.+)\/protection$/.exec(
      url.pathname,
    );
    const issueMatch = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)$/.exec(url.pathname);
    const route = protectionMatch ? PROTECTION_ROUTE : issueMatch ? ISSUE_ROUTE : undefined;
    if (!route) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'Not Found' }));
      violations.push(
        `request to an operation the fake does not implement: ${method} ${url.pathname}`,
      );
      return;
    }
    if (auth === undefined || !tokens.has(auth)) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          message: 'Bad credentials',
          documentation_url: 'https://docs.github.com/rest',
          status: '401',
        }),
      );
      return;
    }

    if (issueMatch) {
      const [, owner = '', repo = '', number = ''] = issueMatch;
      const state = issues.get(`${owner}/${repo}#${number}`);
      if (method !== 'GET') throw new Error(`unexpected ${method} on an issue`);
      if (state === undefined) {
        send(res, 'GET', ISSUE_ROUTE, 404, {
          message: 'Not Found',
          documentation_url: 'https://docs.github.com/rest/issues/issues#get-an-issue',
          status: '404',
        });
        return;
      }
      const issue = exampleResponse(schemas.document, 'issue');
      send(res, 'GET', ISSUE_ROUTE, 200, {
        ...issue,
        number: Number(number),
        state,
        closed_at: state === 'closed' ? '2026-01-01T00:00:00Z' : null,
      });
      return;
    }

    const [, owner = '', repo = '', branch = ''] = protectionMatch ?? [];
    const key = `${owner}/${repo}/${decodeURIComponent(branch)}`;
    const administration = options.administration ?? 'write';
    if (administration === 'none' || (administration === 'read' && method !== 'GET')) {
      send(
        res,
        method,
        PROTECTION_ROUTE,
        403,
        {
          message: 'Resource not accessible by integration',
          documentation_url: 'https://docs.github.com/rest/branches/branch-protection',
          status: '403',
        },
        {
          'x-accepted-github-permissions': `administration=${method === 'GET' ? 'read' : 'write'}`,
        },
      );
      return;
    }
    if (repo === 'missing') {
      send(res, method, PROTECTION_ROUTE, 404, {
        message: 'Not Found',
        documentation_url: 'https://docs.github.com/rest/branches/branch-protection',
        status: '404',
      });
      return;
    }
    if (method === 'GET') {
      const current = protection.get(key);
      if (current === undefined) {
        send(res, 'GET', PROTECTION_ROUTE, 404, {
          message: 'Branch not protected',
          documentation_url:
            'https://docs.github.com/rest/branches/branch-protection#get-branch-protection',
          status: '404',
        });
      } else {
        send(res, 'GET', PROTECTION_ROUTE, 200, current);
      }
      return;
    }
    if (method === 'PUT') {
      const validate = schemas.request('PUT', PROTECTION_ROUTE);
      if (!validate(body)) {
        violations.push(`request PUT ${PROTECTION_ROUTE}: ${describeErrors(validate)}`);
        send(res, 'PUT', PROTECTION_ROUTE, 422, {
          message: 'Validation Failed',
          documentation_url: 'https://docs.github.com/rest',
          errors: [describeErrors(validate)],
        });
        return;
      }
      const stored = protectionFromBody(
        `${origin}/repos/${owner}/${repo}/branches/${branch}/protection`,
        body as PutBody,
      );
      protection.set(key, stored);
      send(res, 'PUT', PROTECTION_ROUTE, 200, stored);
      return;
    }
    throw new Error(`unexpected ${method} on branch protection`);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      violations.push(`fake GitHub failed: ${String(error)}`);
      res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    requests,
    violations,
    protection,
    issues,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
        server.closeAllConnections();
      }),
  };
}

interface PutBody {
  required_status_checks: { strict: boolean; contexts: string[] } | null;
  enforce_admins: boolean | null;
  required_pull_request_reviews: Record<string, unknown> | null;
  restrictions: unknown;
  required_linear_history?: boolean;
  allow_force_pushes?: boolean | null;
  allow_deletions?: boolean;
  required_conversation_resolution?: boolean;
}

/** What GitHub stores for a PUT body, in the GET (and PUT response) shape. */
function protectionFromBody(url: string, body: PutBody): Record<string, unknown> {
  const enabled = (value: boolean | null | undefined): { enabled: boolean } => ({
    enabled: value ?? false,
  });
  const checks = body.required_status_checks;
  const reviews = body.required_pull_request_reviews;
  return {
    url,
    ...(checks
      ? {
          required_status_checks: {
            url: `${url}/required_status_checks`,
            strict: checks.strict,
            contexts: checks.contexts,
            contexts_url: `${url}/required_status_checks/contexts`,
            checks: checks.contexts.map((context) => ({ context, app_id: null })),
          },
        }
      : {}),
    ...(reviews
      ? {
          required_pull_request_reviews: {
            url: `${url}/required_pull_request_reviews`,
            dismiss_stale_reviews: false,
            require_code_owner_reviews: false,
            required_approving_review_count: 1,
            require_last_push_approval: false,
            ...reviews,
          },
        }
      : {}),
    required_signatures: { url: `${url}/required_signatures`, enabled: false },
    enforce_admins: { url: `${url}/enforce_admins`, enabled: body.enforce_admins ?? false },
    required_linear_history: enabled(body.required_linear_history),
    allow_force_pushes: enabled(body.allow_force_pushes),
    allow_deletions: enabled(body.allow_deletions),
    required_conversation_resolution: enabled(body.required_conversation_resolution),
    block_creations: { enabled: false },
    lock_branch: { enabled: false },
    allow_fork_syncing: { enabled: false },
  };
}
