/**
 * Log leaves: every accepted write appends the RFC 8785 JSON of
 * `{"envelope": <the DSSE envelope as received>, "integrated_at": <RFC 3339>, "registry_id": ...}`
 * so anyone can re-check the owner's signature from the log alone.
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
