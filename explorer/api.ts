/**
 * The registry's HTTP API, as the explorer reads it: same origin only (the page's CSP allows no
 * other). Paths are relative (`api/v1/...`), resolved against the page's own URL, so the explorer
 * also works behind a reverse proxy that serves the registry under a path (`/registry/`). Every
 * failure becomes an ApiError whose message is the problem's title and detail.
 */
import type {
  EntrySummaryJson as EntrySummary,
  LogKeysJson,
  RegistryEntry as VerifiedShape,
  VersionsJson,
} from '../src/verify/index.js';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    /** The problem type's last path segment (`not-found`, `invalid-parameter`, ...). */
    readonly problem?: string,
  ) {
    super(message);
  }
}

async function request(path: string, init?: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ApiError(0, `${path}: the registry did not answer (${(error as Error).message})`);
  }
  if (response.ok) return response;
  let message = `${path}: HTTP ${response.status}`;
  let problem: string | undefined;
  if (response.headers.get('content-type')?.includes('json')) {
    const body = (await response.json().catch(() => undefined)) as
      { type?: unknown; title?: unknown; detail?: unknown } | undefined;
    if (typeof body?.detail === 'string') message = body.detail;
    else if (typeof body?.title === 'string') message = body.title;
    if (typeof body?.type === 'string') problem = body.type.split(/[/:]/).pop();
  }
  throw new ApiError(response.status, message, problem);
}

export async function getJson<T>(path: string): Promise<T> {
  return (await (await request(path)).json()) as T;
}

export async function getText(path: string): Promise<string> {
  return (await request(path)).text();
}

export async function getBytes(path: string): Promise<Uint8Array> {
  return new Uint8Array(await (await request(path)).arrayBuffer());
}

/** JSON, or undefined when the registry answers 404 (a document the log does not have yet). */
export async function getJsonOrNone<T>(path: string): Promise<T | undefined> {
  try {
    return await getJson<T>(path);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return undefined;
    throw error;
  }
}

export async function postJson<T>(path: string, body: string): Promise<T> {
  return (await (
    await request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    })
  ).json()) as T;
}

export interface Page<T> {
  readonly entries: readonly T[];
  readonly next_cursor: string | null;
}

export type { EntrySummary, VersionsJson };

/** An entry as `GET /api/v1/registry/{id}` answers it: checked by `verifyEntry`, plus one flag. */
export type RegistryEntry = VerifiedShape & {
  /** When the newest revocation list revokes the owner's key: its `revoked_at`. */
  readonly owner_revoked_at?: string;
};

/** `GET /api/v1/log/keys` (docs/api.md), its wire type in matriz/verify. */
export type LogKeysDocument = LogKeysJson;

export interface ProofJson {
  readonly hashes: readonly string[];
}

export interface Finding {
  readonly rule_id: string;
  readonly severity: string;
  readonly message: string;
  readonly pointer: string;
  readonly line?: number;
  readonly column?: number;
}

export interface ValidateResult {
  readonly valid: boolean;
  readonly findings: readonly Finding[];
  readonly truncated?: boolean;
  readonly finding_count?: number;
}

/** The query string of `filters`, without empty values. */
export function queryString(filters: Readonly<Record<string, string | undefined>>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filters))
    if (value !== undefined && value !== '') params.set(key, value);
  return params.toString();
}
