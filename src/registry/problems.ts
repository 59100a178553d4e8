/**
 * Every refusal the registry can give, as RFC 9457 problem documents with stable types
 * `urn:matriz:problem:<slug>`. Slugs are an API: clients branch on them, so they never change.
 */

export const PROBLEMS = {
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'body-too-large': { status: 413, title: 'Request body too large' },
  'invalid-json': { status: 400, title: 'Request body is not valid JSON' },
  'duplicate-key': { status: 400, title: 'Request body has a duplicate JSON member name' },
  'invalid-request': { status: 400, title: 'Request is not a well-formed registry write' },
  'entry-too-large': {
    status: 413,
    title: 'The log entry would be larger than an entry bundle holds (65,535 bytes)',
  },
  'bad-signature': { status: 401, title: 'Signature does not verify' },
  'schema-violation': { status: 422, title: 'NodeSpec does not follow the NodeSpec v1 schema' },
  'owner-mismatch': { status: 403, title: 'NodeSpec owner is not the signing key' },
  'stale-request': { status: 401, title: 'Request is outside the freshness window' },
  'wrong-origin': { status: 400, title: 'Request is meant for another log' },
  'replayed-nonce': { status: 409, title: 'Request nonce was already used' },
  'not-entitled': { status: 403, title: 'Owner may not claim this lane or tier' },
  'revoked-key': { status: 403, title: 'Signing key is revoked' },
  'glymph-required': { status: 422, title: 'Provenance requires glymph_enabled: true' },
  'not-owner': { status: 403, title: 'Only the owner may change this entry' },
  unclaimed: {
    status: 403,
    title: 'Entry was imported from the prototype registry and no owner has claimed it yet',
  },
  conflict: { status: 409, title: 'Registry id already holds different content' },
  'already-deregistered': { status: 409, title: 'Entry is already deregistered' },
  'not-found': { status: 404, title: 'Not found' },
  'invalid-parameter': { status: 400, title: 'Invalid query parameter' },
  'malformed-http': { status: 400, title: 'Request is not well-formed HTTP' },
  'request-timeout': { status: 408, title: 'Request did not arrive within the request timeout' },
  'uri-too-long': { status: 414, title: 'A path segment is longer than the server accepts' },
  'headers-too-large': { status: 431, title: 'Request headers are larger than the server accepts' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  overloaded: { status: 503, title: 'Registry is overloaded' },
  'sequencer-unavailable': {
    status: 503,
    title: 'No sequencer integrated the write in time; it stays queued and may still be logged',
  },
  'log-inconsistent': {
    status: 503,
    title: 'The log is not consistent with its last signed checkpoint; writes are halted',
  },
  'trust-root-expired': {
    status: 503,
    title:
      "The log's newest trust root has expired; it signs nothing until an operator publishes a newer one",
  },
  'internal-error': { status: 500, title: 'Internal error' },
} as const;

export type ProblemSlug = keyof typeof PROBLEMS;

export interface ProblemDocument {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly [extension: string]: unknown;
}

/** A refusal as a value: thrown by use cases, rendered by the HTTP layer. */
export class RegistryProblem extends Error {
  override readonly name = 'RegistryProblem';
  constructor(
    readonly slug: ProblemSlug,
    readonly detail: string,
    readonly extensions: Readonly<Record<string, unknown>> = {},
  ) {
    super(`${slug}: ${detail}`);
  }

  get status(): number {
    return PROBLEMS[this.slug].status;
  }

  toDocument(): ProblemDocument {
    return {
      type: problemType(this.slug),
      title: PROBLEMS[this.slug].title,
      status: this.status,
      detail: this.detail,
      ...this.extensions,
    };
  }
}

export function problemType(slug: ProblemSlug): string {
  return `urn:matriz:problem:${slug}`;
}
