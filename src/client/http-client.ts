/**
 * The registry's HTTP API as plain requests: one method per route, a timeout on every request
 * (the answer's body included), retries with backoff on 429 and 503 that honour `Retry-After`,
 * and every failure as a typed error with one line saying what happened and what to do:
 *
 * - `RegistryRequestError`: the registry refused, with its RFC 9457 problem document;
 * - `RegistryUnavailableError`: no usable answer (`unreachable`, `timeout`, or `not-a-registry`
 *   when whatever answered is not a MATRIZ registry: an HTML page, a JSON 404, a wrong shape).
 *
 * Proxies: `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` (or their lower-case forms) are honoured
 * (proxy.ts); without them requests go through the platform's `fetch`, so whatever dispatcher
 * the application installs applies.
 */
import type { LogKeysJson, WriteResult } from '../verify/wire.js';
import { fetchForEnvironment, proxySettings, type Environment } from './proxy.js';

export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly [extension: string]: unknown;
}

/** The registry answered with a problem document (a refusal, or its own 5xx). */
export class RegistryRequestError extends Error {
  override readonly name = 'RegistryRequestError';
  constructor(
    readonly status: number,
    readonly problem: ProblemDetails | undefined,
    message: string,
  ) {
    super(message);
  }
}

export type UnavailableReason = 'unreachable' | 'timeout' | 'not-a-registry';

/** No usable answer from the server; `reason` says which kind. */
export class RegistryUnavailableError extends Error {
  override readonly name = 'RegistryUnavailableError';
  constructor(
    readonly reason: UnavailableReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** `GET /api/v1/log/keys`, its wire type in matriz/verify. */
export type LogKeysDocument = LogKeysJson;

export interface HttpOptions {
  /** Each request, answer body included, must finish within this. Default 30 s. */
  readonly timeoutMs?: number;
  /** How often a 429 or 503 answer is retried. Default 3. */
  readonly retries?: number;
  /** First backoff when the server sends no `Retry-After`; doubled each retry. Default 500 ms. */
  readonly backoffMs?: number;
  /** A `Retry-After` longer than this is not waited for: the error is returned. Default 60 s. */
  readonly maxRetryWaitMs?: number;
  /**
   * The fetch to use. Default: the platform's (which honours the application's dispatcher), or
   * undici's through the proxy when `env` sets HTTPS_PROXY or HTTP_PROXY.
   */
  readonly fetch?: typeof fetch;
  /** Where the proxy variables are read when no `fetch` is given. Default: `process.env`. */
  readonly env?: Environment;
  /** How to wait between retries; tests pass one that records the waits. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
const PROBLEM_TYPE_PREFIX = 'urn:matriz:problem:';

/** The log's HTTP routes (docs/api.md). */
export class RegistryHttp {
  readonly base: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly maxRetryWaitMs: number;
  private readonly fetchFunction: typeof fetch;
  /** Whether requests go through a proxy from the environment (said when they fail). */
  private readonly proxied: boolean;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(server: string, options: HttpOptions = {}) {
    this.base = server.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.retries = options.retries ?? 3;
    this.backoffMs = options.backoffMs ?? 500;
    this.maxRetryWaitMs = options.maxRetryWaitMs ?? 60_000;
    const env = options.env ?? (typeof process === 'undefined' ? {} : process.env);
    this.fetchFunction = options.fetch ?? fetchForEnvironment(env);
    this.proxied = options.fetch === undefined && proxySettings(env) !== undefined;
    this.sleep =
      options.sleep ??
      ((ms) =>
        new Promise((resolve) => {
          setTimeout(resolve, ms);
        }));
  }

  register(envelope: unknown): Promise<WriteResult> {
    return this.json('POST', '/api/v1/registry/register', envelope);
  }

  deregister(registryId: string, envelope: unknown): Promise<WriteResult> {
    return this.json('DELETE', `/api/v1/registry/${encodeURIComponent(registryId)}`, envelope);
  }

  get(registryId: string): Promise<Record<string, unknown>> {
    return this.json('GET', `/api/v1/registry/${encodeURIComponent(registryId)}`);
  }

  async query(
    parameters: Record<string, string | number | undefined>,
  ): Promise<{ entries: Record<string, unknown>[]; next_cursor: string | null }> {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(parameters))
      if (value !== undefined) search.set(name, String(value));
    const path = `/api/v1/registry/query?${search.toString()}`;
    const page = await this.json<{ entries?: unknown; next_cursor?: unknown }>('GET', path);
    if (!Array.isArray(page.entries) || !(page.next_cursor === null || isString(page.next_cursor)))
      throw this.notARegistry('GET', path, 'the answer is not a page of entries');
    return page as { entries: Record<string, unknown>[]; next_cursor: string | null };
  }

  async keys(): Promise<LogKeysDocument> {
    const path = '/api/v1/log/keys';
    const keys = await this.json<Partial<LogKeysDocument>>('GET', path);
    if (
      !isString(keys.origin) ||
      !isString(keys.ed25519_vkey) ||
      !isString(keys.ml_dsa_44?.public_key) ||
      !isString(keys.ed25519?.public_key)
    )
      throw this.notARegistry('GET', path, 'the answer is not a log keys document');
    return keys as LogKeysDocument;
  }

  async checkpoint(): Promise<string> {
    return new TextDecoder().decode(await this.bytes('/api/v1/log/checkpoint'));
  }

  /** A file of the log's C2SP tlog-tiles tree: `checkpoint`, `tile/0/001`, ... (docs/api.md, Tiles). */
  tile(path: string): Promise<Uint8Array> {
    return this.bytes(`/${path}`);
  }

  leaf(index: number): Promise<Uint8Array> {
    return this.bytes(`/api/v1/log/entries/${index}`);
  }

  inclusionProof(index: number, size: number): Promise<{ hashes: string[] }> {
    return this.json('GET', `/api/v1/log/proof/inclusion?index=${index}&size=${size}`);
  }

  consistencyProof(from: number, to: number): Promise<{ hashes: string[] }> {
    return this.json('GET', `/api/v1/log/proof/consistency?from=${from}&to=${to}`);
  }

  /** The newest trust root envelope (or version `version`); undefined when the log has none. */
  trustRoot(version?: number): Promise<unknown> {
    return this.optionalJson(
      version === undefined ? '/api/v1/trust/root' : `/api/v1/trust/root/${version}`,
    );
  }

  /** The newest revocation list envelope; undefined when the log has none. */
  revocations(): Promise<unknown> {
    return this.optionalJson('/api/v1/trust/revocations');
  }

  /** GET a JSON document, or undefined when the server answers 404 not-found. */
  private async optionalJson(path: string): Promise<unknown> {
    try {
      return await this.json<unknown>('GET', path);
    } catch (error) {
      if (error instanceof RegistryRequestError && error.status === 404) return undefined;
      throw error;
    }
  }

  private json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.request(method, path, body, async (response) => {
      const type = response.headers.get('content-type') ?? '';
      if (!/^application\/json\b/i.test(type))
        throw this.notARegistry(method, path, describeType(type, 'JSON'));
      try {
        return (await response.json()) as T;
      } catch (error) {
        if (error instanceof SyntaxError)
          throw this.notARegistry(method, path, 'the answer is not valid JSON');
        throw error;
      }
    });
  }

  private bytes(path: string): Promise<Uint8Array> {
    return this.request('GET', path, undefined, async (response) => {
      const type = response.headers.get('content-type') ?? '';
      if (/^text\/html\b/i.test(type))
        throw this.notARegistry('GET', path, describeType(type, 'the log'));
      return new Uint8Array(await response.arrayBuffer());
    });
  }

  /** Sends one request (retrying 429 and 503), reads a successful answer with `read`. */
  private async request<T>(
    method: string,
    path: string,
    body: unknown,
    read: (response: Response) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const signal = AbortSignal.timeout(this.timeoutMs);
      try {
        const response = await this.fetchFunction(`${this.base}${path}`, {
          method,
          signal,
          headers: {
            accept: 'application/json, application/problem+json;q=0.9, text/plain;q=0.8',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        if (response.ok) return await read(response);
        const failure = await this.failure(method, path, response);
        const wait = this.retryWait(response, attempt);
        if (wait === undefined) throw failure;
        await response.body?.cancel().catch(() => undefined);
        await this.sleep(wait);
      } catch (error) {
        throw this.asTypedError(error, signal);
      }
    }
  }

  /** How long to wait before retrying this answer, or undefined not to retry it. */
  private retryWait(response: Response, attempt: number): number | undefined {
    if ((response.status !== 429 && response.status !== 503) || attempt >= this.retries)
      return undefined;
    const asked = retryAfterMs(response.headers.get('retry-after'));
    const wait = asked ?? this.backoffMs * 2 ** attempt;
    return wait > this.maxRetryWaitMs ? undefined : wait;
  }

  private async failure(method: string, path: string, response: Response): Promise<Error> {
    const text = await response.text();
    const problem = parseProblem(text);
    if (problem === undefined) {
      const type = response.headers.get('content-type') ?? 'no content type';
      return this.notARegistry(
        method,
        path,
        `it answered ${response.status} with ${/html/i.test(type) ? 'an HTML page' : type}, not a MATRIZ problem document`,
      );
    }
    return new RegistryRequestError(
      response.status,
      problem,
      `${method} ${path} failed with ${response.status} (${problem.type.slice(PROBLEM_TYPE_PREFIX.length)}: ${problem.detail})`,
    );
  }

  private notARegistry(method: string, path: string, what: string): RegistryUnavailableError {
    return new RegistryUnavailableError(
      'not-a-registry',
      `${this.base} does not look like a MATRIZ registry: ${method} ${path}: ${what}; check the URL (--server or MATRIZ_SERVER)`,
    );
  }

  private asTypedError(error: unknown, signal: AbortSignal): Error {
    if (error instanceof RegistryRequestError || error instanceof RegistryUnavailableError)
      return error;
    if (signal.aborted && isTimeout(signal.reason))
      return new RegistryUnavailableError(
        'timeout',
        `no answer from the registry at ${this.base} within ${formatSeconds(this.timeoutMs)}; retry later or allow more time (--timeout or MATRIZ_TIMEOUT)`,
        { cause: error },
      );
    if (error instanceof TypeError) {
      const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
      const why =
        typeof cause?.code === 'string'
          ? describeNetworkCode(cause.code)
          : typeof cause?.message === 'string'
            ? cause.message
            : error.message;
      const proxy = this.proxied
        ? ' (through the proxy in HTTPS_PROXY/HTTP_PROXY: check it, or list the host in NO_PROXY)'
        : '';
      return new RegistryUnavailableError(
        'unreachable',
        `cannot reach the registry at ${this.base}${proxy}: ${why}; is the server running and the URL right (--server or MATRIZ_SERVER)?`,
        { cause: error },
      );
    }
    return error instanceof Error ? error : new Error(String(error));
  }
}

function parseProblem(text: string): ProblemDetails | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const problem = value as Partial<ProblemDetails>;
  if (
    !isString(problem.type) ||
    !problem.type.startsWith(PROBLEM_TYPE_PREFIX) ||
    !isString(problem.detail)
  )
    return undefined;
  return problem as ProblemDetails;
}

/** `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP date; undefined when absent. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function describeType(type: string, expected: string): string {
  if (type === '') return `the answer has no content type, expected ${expected}`;
  if (/html/i.test(type)) return `it answered with an HTML page, not ${expected}`;
  return `it answered ${type.split(';')[0] ?? type}, not ${expected}`;
}

function describeNetworkCode(code: string): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (ECONNREFUSED)';
    case 'ENOTFOUND':
      return 'no such host (ENOTFOUND)';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return `the connection was closed (${code})`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `no route to the host (${code})`;
    default:
      return code;
  }
}

function isTimeout(reason: unknown): boolean {
  return (reason as { name?: unknown } | undefined)?.name === 'TimeoutError';
}

function formatSeconds(ms: number): string {
  return `${ms / 1000} s`;
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}
