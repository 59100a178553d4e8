/**
 * A client of the registry's HTTP API. Refusals come back as `RegistryRequestError` carrying
 * the server's RFC 9457 problem document, so callers can branch on its `type`.
 */
import type { WriteResult } from '../verify/wire.js';

export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly [extension: string]: unknown;
}

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

export interface LogKeysDocument {
  readonly origin: string;
  readonly ed25519_vkey: string;
  readonly ml_dsa_44: { readonly alg: string; readonly public_key: string; readonly keyid: string };
  readonly ed25519: { readonly alg: string; readonly public_key: string; readonly keyid: string };
}

export class RegistryClient {
  private readonly base: string;

  constructor(server: string) {
    this.base = server.replace(/\/+$/, '');
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

  query(
    parameters: Record<string, string | number | undefined>,
  ): Promise<{ entries: Record<string, unknown>[]; next_cursor: string | null }> {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(parameters))
      if (value !== undefined) search.set(name, String(value));
    return this.json('GET', `/api/v1/registry/query?${search.toString()}`);
  }

  keys(): Promise<LogKeysDocument> {
    return this.json('GET', '/api/v1/log/keys');
  }

  async checkpoint(): Promise<string> {
    return new TextDecoder().decode(await this.bytes('/api/v1/log/checkpoint'));
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

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.fetch(method, path, body);
    return (await response.json()) as T;
  }

  private async bytes(path: string): Promise<Uint8Array> {
    const response = await this.fetch('GET', path);
    return new Uint8Array(await response.arrayBuffer());
  }

  private async fetch(method: string, path: string, body?: unknown): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        ...(body === undefined
          ? {}
          : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new RegistryRequestError(
        0,
        undefined,
        `cannot reach the registry at ${this.base}: ${(error as Error).message}`,
      );
    }
    if (response.ok) return response;
    const text = await response.text();
    let problem: ProblemDetails | undefined;
    try {
      problem = JSON.parse(text) as ProblemDetails;
    } catch {
      problem = undefined;
    }
    const reason = problem
      ? `${problem.type.replace('urn:matriz:problem:', '')}: ${problem.detail}`
      : text.slice(0, 200);
    throw new RegistryRequestError(
      response.status,
      problem,
      `${method} ${path} failed with ${response.status} (${reason})`,
    );
  }
}
