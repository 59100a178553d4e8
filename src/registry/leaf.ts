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

export function encodeLeaf(content: LeafContent): Uint8Array {
  return new TextEncoder().encode(canonicalize(content));
}
