/**
 * SHA-256 digests written as `sha256:<hex>`, the project's one digest notation (DESIGN.md,
 * Formats). `@noble/hashes` keeps this synchronous and browser-safe, unlike Web Crypto's digest.
 */
import { sha256 } from './sha256.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { canonicalize } from '../json/canonicalize.js';

const encoder = new TextEncoder();

/**
 * Digest of bytes, or of a string's UTF-8 encoding, or of any other JSON value's RFC 8785
 * canonical form.
 */
export function sha256Digest(
  input: Uint8Array | string | object | number | boolean | null,
): string {
  let bytes: Uint8Array;
  if (input instanceof Uint8Array) bytes = input;
  else if (typeof input === 'string') bytes = encoder.encode(input);
  else bytes = encoder.encode(canonicalize(input));
  return `sha256:${bytesToHex(sha256(bytes))}`;
}
