/**
 * Log leaves, each the RFC 8785 JSON of one object:
 *
 * - an owner's write: `{"envelope": <the DSSE envelope as received>, "integrated_at": <RFC 3339>,
 *   "registry_id": ...}`, so anyone can re-check the owner's signature from the log alone;
 * - a trust record: `{"envelope": ..., "integrated_at": ..., "kind": <ControlKind>}`, a trust
 *   root version, a revocation list version, an owner enrolment or a log key rotation record,
 *   each a DSSE envelope signed by the role that may make it (docs/security.md).
 */
import { canonicalize } from '../json/canonicalize.js';

export interface LeafContent {
  readonly envelope: unknown;
  readonly integrated_at: string;
  readonly registry_id: string;
}

const encoder = new TextEncoder();

/**
 * The leaf bytes, from the envelope's canonical form. Member names sort as envelope <
 * integrated_at < registry_id, so concatenation is exactly RFC 8785 of LeafContent.
 */
export function encodeLeaf(
  canonicalEnvelope: string,
  integratedAt: string,
  registryId: string,
): Uint8Array {
  return encoder.encode(
    `{"envelope":${canonicalEnvelope},"integrated_at":${canonicalize(integratedAt)},"registry_id":${canonicalize(registryId)}}`,
  );
}

/** The kinds of trust records the log holds besides owners' writes. */
export const CONTROL_KINDS = ['trust-root', 'revocations', 'enrolment', 'log-rotation'] as const;

export type ControlKind = (typeof CONTROL_KINDS)[number];

export function isControlKind(value: unknown): value is ControlKind {
  return (CONTROL_KINDS as readonly unknown[]).includes(value);
}

/** A trust record's leaf bytes; members sort as envelope < integrated_at < kind. */
export function encodeControlLeaf(
  kind: ControlKind,
  canonicalEnvelope: string,
  integratedAt: string,
): Uint8Array {
  return encoder.encode(
    `{"envelope":${canonicalEnvelope},"integrated_at":${canonicalize(integratedAt)},"kind":${canonicalize(kind)}}`,
  );
}

const decoder = new TextDecoder();

/** The kind of a trust record's leaf; undefined for an owner's write (or unreadable bytes). */
export function controlKindOf(leaf: Uint8Array): ControlKind | undefined {
  let content: unknown;
  try {
    content = JSON.parse(decoder.decode(leaf));
  } catch {
    return undefined;
  }
  const kind = (content as { kind?: unknown } | null)?.kind;
  return isControlKind(kind) ? kind : undefined;
}
